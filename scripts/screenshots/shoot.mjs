// Takes the screenshots in docs/screenshots of the sample pages served by
// ./preview. Run by scripts/screenshots.sh:
//
//   node shoot.mjs http://127.0.0.1:PORT ../../docs/screenshots
//
// It fails if a page logs an error, violates its Content-Security-Policy or
// has a request that fails, so the screenshots also show that the pages work
// under the click proxy's headers with no script.
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error('usage: node shoot.mjs BASE_URL OUT_DIR');
  process.exit(2);
}

const desktop = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// name, path, device
const shots = [
  ['warn-ja-desktop', '/warn/ja', desktop],
  ['warn-en-desktop', '/warn/en', desktop],
  ['warn-ja-phone', '/warn/ja', phone],
  ['warn-en-phone', '/warn/en', phone],
  ['block-ja-desktop', '/block/ja', desktop],
  ['checking-ja-phone', '/checking/ja', phone],
];

await mkdir(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // --no-sandbox: the script runs as root in CI and dev containers.
  args: ['--no-sandbox', '--font-render-hinting=none'],
});
const problems = [];
try {
  for (const [name, urlPath, device] of shots) {
    const lang = urlPath.endsWith('/en') ? 'en-US' : 'ja-JP';
    const context = await browser.newContext({ ...device, locale: lang, javaScriptEnabled: false });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${name}: console ${m.type()}: ${m.text()}`);
    });
    page.on('requestfailed', (r) => problems.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${name}: ${r.status()} ${r.url()}`);
    });
    await page.goto(base + urlPath, { waitUntil: 'load' });
    // Stop the animations of the checking page at a stable frame.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const file = path.join(outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
    console.log(`wrote ${file}`);
    await context.close();
  }
} finally {
  await browser.close();
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
