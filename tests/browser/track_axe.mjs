// axe-core on the tracking page: no serious or critical violation in the normal view, for a
// withdrawn link, and for a completed job. Merged into run.mjs's tests; the helpers come from
// there.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/// The number of minor and moderate violations; throws on any serious or critical one.
async function axe(page, what) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    throw new Error(`${what}: axe found ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")}`).join(" | ")}`);
  }
  return result.violations.length;
}

export default ({ api, BASE, DEST, until, text, jobWithFixes }) => {
  /// The page for `token` once the wasm has drawn it (`main[data-live]` is the page's own, not
  /// the Worker's first paint), in a context that lets axe-core be injected: the page's CSP
  /// (rightly) forbids that script, so it is bypassed here only.
  async function opened(browser, token, ready) {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(`${BASE}/track?job_id=${token}`);
    await until("the page drawn by its wasm", async () => (await page.locator("main[data-live]").count()) > 0);
    const shown = await until("the page's content", async () => ready(page));
    return { ctx, page, shown };
  }

  return {
    async "axe: the normal view (ETA, timeline, map, contact) has no serious or critical violation"(browser) {
      const job = await jobWithFixes();
      const { ctx, page, shown } = await opened(browser, job.track_token, async (page) => {
        const t = await text(page, ".eta-detail");
        return /away/.test(t) && t;
      });
      const minor = await axe(page, "normal view");
      await ctx.close();
      return `${shown}; ${minor} minor`;
    },

    async "axe: a withdrawn link's message has no serious or critical violation"(browser) {
      const job = await api("POST", "/api/jobs", { customer_name: "A", customer_phone: "+15550108883", destination: DEST, status: "en_route" });
      await api("DELETE", `/api/jobs/${job.job_id}/links`);
      const { ctx, page, shown } = await opened(browser, job.track_token, async (page) => {
        const t = await text(page, ".problem-title");
        return /withdrawn/.test(t) && t;
      });
      const minor = await axe(page, "withdrawn link");
      await ctx.close();
      return `${shown}; ${minor} minor`;
    },

    async "axe: a completed job has no serious or critical violation"(browser) {
      const job = await jobWithFixes("at_site", 3);
      await api("PATCH", `/api/jobs/${job.job_id}`, { status: "completed" });
      const { ctx, page, shown } = await opened(browser, job.track_token, async (page) => {
        const t = await text(page, ".eta-big");
        return /complete/.test(t) && (await text(page, "[aria-current=step]")) === "Completed" && t;
      });
      const minor = await axe(page, "completed job");
      await ctx.close();
      return `${shown}; ${minor} minor`;
    },
  };
};
