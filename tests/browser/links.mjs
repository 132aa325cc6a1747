// Browser tests of the link lifecycle (issue 15): links withdrawn with DELETE /api/jobs/{id}/links
// and reissued with POST, and no position before the trailer is on its way. Merged into
// run.mjs's tests; the helpers come from there.
export default ({ api, BASE, DEST, token, until, text }) => ({
  async "links: a link withdrawn with DELETE …/links says so, and a new link works"(browser) {
    const job = await api("POST", "/api/jobs", { customer_name: "L", customer_phone: "+15550108885", destination: DEST, status: "en_route" });
    await api("DELETE", `/api/jobs/${job.job_id}/links`);
    const fresh = await api("POST", `/api/jobs/${job.job_id}/links`);
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    const t = await until("the withdrawn message", async () => { const t = await text(page, ".problem-title"); return /withdrawn/.test(t) && t; });
    await page.goto(fresh.tracking_url.replace(/^https?:\/\/[^/]+/, BASE));
    const step = await until("the new link's page", async () => { const s = await text(page, "[aria-current=step]"); return s === "On the way" && s; });
    if (await page.locator(".problem").count()) throw new Error("the new link shows a problem");
    await page.close();
    return `${t} / new link: ${step}`;
  },

  async "links: a scheduled job shows no position, and says it will once on its way"(browser) {
    const trailer = `TRbrowser${Date.now()}`;
    const job = await api("POST", "/api/jobs", { customer_name: "G", customer_phone: "+15550108884", destination: DEST, trailer_ids: [trailer], status: "scheduled" });
    const fixes = [0, 1, 2].map((i) => ({ lat: 53.40 + i * 0.002, lon: -2.96, recorded_at: new Date(Date.now() - (3 - i) * 30_000).toISOString() }));
    await api("POST", `/api/jobs/${job.job_id}/location`, { fixes }, token("ingest", { trailer_id: trailer }));
    const page = await browser.newPage();
    await page.goto(`${BASE}/track?job_id=${job.track_token}`);
    const note = await until("the no-position note", async () => { const t = await text(page, ".fresh"); return /once it is on its way/.test(t) && t; });
    if (await page.locator("svg.map-svg .pos-dot").count()) throw new Error("a scheduled job's trailer is on the map");
    // On its way: the trailer appears.
    await api("PATCH", `/api/jobs/${job.job_id}`, { status: "en_route" });
    await until("the position", async () => (await page.locator("svg.map-svg .pos-dot").count()) > 0, 25_000);
    await page.close();
    return note;
  },
});
