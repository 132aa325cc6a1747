// Starting Debian's headless Chromium and running a file's tests, shared by the browser test files.
import { chromium } from "playwright-core";

export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

/** Runs each of `tests` (name → async fn(browser) returning a note), at most `concurrency` at
 *  once, printing a line per test; returns how many passed and failed. Twenty pages loading
 *  their wasm together on a two-core CI machine starve each other, hence the bound. */
export async function runTests(browser, tests, concurrency = 1) {
  const counts = { passed: 0, failed: 0 };
  const queue = Object.entries(tests);
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    while (queue.length) {
      const [name, fn] = queue.shift();
      const t0 = Date.now();
      try {
        const note = await fn(browser);
        counts.passed++;
        console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)${note ? ` — ${note}` : ""}`);
      } catch (e) {
        counts.failed++;
        console.log(`FAIL ${name}: ${e.message}`);
      }
    }
  }));
  return counts;
}

/** Closes the browser, prints the line `cargo xtask test` reads, and exits with the verdict. */
export async function finish(browser, { passed, failed }) {
  await browser.close();
  console.log(`browser result: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
