#!/usr/bin/env node
// Copy the front-end assets we self-host from node_modules/ into static/vendor/.
//
//   npm ci --no-audit --no-fund && node scripts/vendor.mjs
//
// No dependencies, no network. Idempotent: static/vendor/pico/ and static/vendor/sarabun/
// are rebuilt from scratch on every run, so running it twice gives the same files.
//
// Output:
//   static/vendor/pico/pico.min.css, LICENSE.md
//   static/vendor/sarabun/sarabun.css        generated @font-face rules (relative urls)
//   static/vendor/sarabun/files/*.woff2      weights 400/500/600/700 + italic 400;
//                                            subsets thai, latin, latin-ext
//   static/vendor/sarabun/LICENSE            SIL Open Font License 1.1

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NODE_MODULES = path.join(ROOT, "node_modules");
const VENDOR = path.join(ROOT, "static", "vendor");

const PICO_PKG = "@picocss/pico";
const SARABUN_PKG = "@fontsource/sarabun";

// Which faces to ship. Browsers pick a file by unicode-range, so a Thai page downloads
// only the Thai (and Latin) files for the weights it actually uses.
const FACES = [
  { weight: 400, style: "normal" },
  { weight: 500, style: "normal" },
  { weight: 600, style: "normal" },
  { weight: 700, style: "normal" },
  { weight: 400, style: "italic" },
];
const SUBSETS = ["thai", "latin-ext", "latin"];
const OPTIONAL_WEIGHTS = new Set([500]); // skipped with a notice if the package lacks it

function fail(message) {
  console.error(`vendor.mjs: ${message}`);
  process.exit(1);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function packageDir(name) {
  const dir = path.join(NODE_MODULES, ...name.split("/"));
  if (!fs.existsSync(path.join(dir, "package.json"))) {
    fail(
      `${path.relative(ROOT, dir)} is missing.\n` +
        `Install the pinned packages first:  npm ci --no-audit --no-fund`,
    );
  }
  return dir;
}

function checkPinnedVersion(name, dir) {
  const wanted = (readJson(path.join(ROOT, "package.json")).dependencies || {})[name];
  const installed = readJson(path.join(dir, "package.json")).version;
  if (wanted && wanted !== installed) {
    fail(
      `${name} ${installed} is installed but package.json pins ${wanted}.\n` +
        `Reinstall:  npm ci --no-audit --no-fund`,
    );
  }
  return installed;
}

function copy(src, dest) {
  if (!fs.existsSync(src)) fail(`expected file not found: ${path.relative(ROOT, src)}`);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(src, dest);
}

function freshDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

// --- checks ---------------------------------------------------------------------------
if (!fs.existsSync(NODE_MODULES)) {
  fail(
    `node_modules/ not found in ${ROOT}.\n` +
      `Install the pinned packages first:  npm ci --no-audit --no-fund`,
  );
}
const picoDir = packageDir(PICO_PKG);
const sarabunDir = packageDir(SARABUN_PKG);
const picoVersion = checkPinnedVersion(PICO_PKG, picoDir);
const sarabunVersion = checkPinnedVersion(SARABUN_PKG, sarabunDir);

// --- Pico -----------------------------------------------------------------------------
const picoOut = path.join(VENDOR, "pico");
freshDir(picoOut);
copy(path.join(picoDir, "css", "pico.min.css"), path.join(picoOut, "pico.min.css"));
const picoLicense = ["LICENSE.md", "LICENSE"].find((f) => fs.existsSync(path.join(picoDir, f)));
if (!picoLicense) fail(`no LICENSE file in ${PICO_PKG}`);
copy(path.join(picoDir, picoLicense), path.join(picoOut, picoLicense));

// --- Sarabun --------------------------------------------------------------------------
// unicode-range per subset is read from fontsource's own per-weight CSS (e.g. 400.css,
// 400-italic.css), whose rules are labelled /* sarabun-<subset>-<weight>-<style> */.
function unicodeRanges(weight, style) {
  const cssName = style === "italic" ? `${weight}-italic.css` : `${weight}.css`;
  const cssFile = path.join(sarabunDir, cssName);
  if (!fs.existsSync(cssFile)) return null;
  const css = fs.readFileSync(cssFile, "utf8");
  const ranges = {};
  const rule = /\/\*\s*sarabun-([a-z-]+)-(\d+)-(normal|italic)\s*\*\/\s*@font-face\s*\{([^}]*)\}/g;
  for (const m of css.matchAll(rule)) {
    const range = /unicode-range:\s*([^;]+);/.exec(m[4]);
    if (range) ranges[m[1]] = range[1].trim();
  }
  return ranges;
}

const sarabunOut = path.join(VENDOR, "sarabun");
freshDir(sarabunOut);
const filesOut = path.join(sarabunOut, "files");
fs.mkdirSync(filesOut);

const rules = [];
let copied = 0;
for (const { weight, style } of FACES) {
  const ranges = unicodeRanges(weight, style);
  if (!ranges) {
    if (OPTIONAL_WEIGHTS.has(weight)) {
      console.warn(`vendor.mjs: Sarabun ${weight} ${style} not in the package, skipped`);
      continue;
    }
    fail(`Sarabun ${weight} ${style} CSS not found in ${SARABUN_PKG}`);
  }
  for (const subset of SUBSETS) {
    const file = `sarabun-${subset}-${weight}-${style}.woff2`;
    const src = path.join(sarabunDir, "files", file);
    if (!fs.existsSync(src)) fail(`font file missing: ${path.relative(ROOT, src)}`);
    if (!ranges[subset]) fail(`no unicode-range for subset ${subset} in ${weight} ${style} CSS`);
    copy(src, path.join(filesOut, file));
    copied += 1;
    rules.push(
      `/* sarabun-${subset}-${weight}-${style} */\n` +
        `@font-face {\n` +
        `  font-family: "Sarabun";\n` +
        `  font-style: ${style};\n` +
        `  font-weight: ${weight};\n` +
        `  font-display: swap;\n` +
        `  src: url("./files/${file}") format("woff2");\n` +
        `  unicode-range: ${ranges[subset]};\n` +
        `}\n`,
    );
  }
}

const header =
  `/* Sarabun, self-hosted. Generated by scripts/vendor.mjs from ${SARABUN_PKG} ${sarabunVersion};\n` +
  `   do not edit. Font licensed under the SIL Open Font License 1.1 (see LICENSE). */\n\n`;
fs.writeFileSync(path.join(sarabunOut, "sarabun.css"), header + rules.join("\n"));
copy(path.join(sarabunDir, "LICENSE"), path.join(sarabunOut, "LICENSE"));

console.log(
  `vendor.mjs: pico ${picoVersion} -> static/vendor/pico/; ` +
    `sarabun ${sarabunVersion} -> static/vendor/sarabun/ (${copied} woff2 files, ${rules.length} @font-face rules)`,
);
