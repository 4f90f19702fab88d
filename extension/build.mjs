// Builds the unpacked extension into dist/: the scripts bundled by esbuild
// (content.js as a classic script, as content scripts must be; the
// service worker and the options page as ES modules), and static/ copied.
//   node build.mjs               build dist/
//   node build.mjs --out DIR     build DIR instead (the end-to-end test's copy)
import { build } from 'esbuild';
import { cpSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--out');
const out = i > 0 ? process.argv[i + 1] : join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(here, 'static'), out, { recursive: true });

const common = { bundle: true, target: 'chrome121', legalComments: 'none', minify: false, logLevel: 'warning', charset: 'utf8' };
await build({ ...common, entryPoints: [join(here, 'src/content.js')], outfile: join(out, 'content.js'), format: 'iife' });
await build({ ...common, entryPoints: [join(here, 'src/background.js')], outfile: join(out, 'background.js'), format: 'esm' });
await build({ ...common, entryPoints: [join(here, 'src/options.js')], outfile: join(out, 'options.js'), format: 'esm' });

const pkg = JSON.parse(readFileSync(join(here, 'package.json')));
const manifest = JSON.parse(readFileSync(join(out, 'manifest.json')));
if (manifest.version !== pkg.version) throw new Error(`manifest version ${manifest.version} != package.json ${pkg.version}`);
console.log(`built ${out}`);
