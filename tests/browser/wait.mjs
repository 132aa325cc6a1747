// Waiting for what a page or the stack will show, shared by the browser test files.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 200 ms until it returns something truthy; a throw counts as not yet. */
export async function until(what, fn, timeoutMs = 20_000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}
