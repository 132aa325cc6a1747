// The stack under test, shared by the browser test files: its address, tokens signed with its
// JWT_SECRET (as the contract's HS256 tokens), and its JSON API.
import { createHmac } from "node:crypto";

export const BASE = process.env.QDN_BASE_URL;
const SECRET = process.env.QDN_JWT_SECRET;

const b64 = (s) => Buffer.from(s).toString("base64url");
export function sign(claims) {
  const input = `${b64(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`;
}
export const now = () => Math.floor(Date.now() / 1000);
export const token = (scope, extra = {}, ttl = 3600) => sign({ scope, exp: now() + ttl, aud: "qdn", ...extra });
export const dispatch = token("dispatch");

/** A JSON call to the stack; a status of 300 or more throws with the body. */
export async function api(method, path, body, bearer = dispatch) {
  const r = await fetch(BASE + path, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
    body: body && JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
