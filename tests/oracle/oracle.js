// HF tokenizers oracle for bertgrid's WordPiece tokenizer.
// Usage: node oracle.js TOKENIZER_JSON ALL_FILES_DIR OUT_DIR [N_GENERATED]
// Writes OUT_DIR/oracle.jsonl: one {"source", "text", "ids"} line per sentence of ALL_FILES_DIR
// (source "all_files/NAME") and per generated string (source "generated/I", a fixed seed), ids
// with [CLS]/[SEP] as HF's Tokenizer.encode adds them; and OUT_DIR/probe.tsv: for every code
// point c whose "a" + c + "b" any BertNormalizer stage or BertPreTokenizer changes, the result
// of clean-text, CJK padding, strip-accents, lowercase and pre-tokenization (hex, '=' unchanged);
// and OUT_DIR/nfd.tsv: NFD of "x" c U+0334 and of "x" U+0301 c wherever NFD changes either.
'use strict'
const fs = require('fs')
const path = require('path')
const tk = require('tokenizers')

const [tokenizerJson, allFilesDir, outDir, nArg] = process.argv.slice(2)
if (!tokenizerJson || !allFilesDir || !outDir) {
  console.error('usage: node oracle.js TOKENIZER_JSON ALL_FILES_DIR OUT_DIR [N_GENERATED]')
  process.exit(2)
}
const nGenerated = nArg ? parseInt(nArg, 10) : 4000

// mulberry32: a small seeded PRNG, so the generated strings are the same on every run.
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rand = rng(20261126)
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1))
const pick = (xs) => xs[Math.floor(rand() * xs.length)]
const fromRange = ([lo, hi]) => String.fromCodePoint(int(lo, hi))
const isSurrogate = (c) => c >= 0xd800 && c <= 0xdfff

const kRanges = {
  ascii: [[0x20, 0x7e]],
  letters: [[0x61, 0x7a], [0x41, 0x5a], [0x30, 0x39]],
  accented: [[0xc0, 0xff], [0x100, 0x17f], [0x1e00, 0x1eff], [0x180, 0x24f]],
  combining: [[0x300, 0x36f], [0x483, 0x489], [0x591, 0x5bd], [0x64b, 0x65f], [0x1ab0, 0x1aff],
    [0x1dc0, 0x1dff], [0x20d0, 0x20f0], [0xfe20, 0xfe2f], [0x93c, 0x94d], [0xe31, 0xe3a]],
  cjk: [[0x4e00, 0x9fff], [0x3400, 0x4dbf], [0x20000, 0x2a6df], [0x2a700, 0x2b81f],
    [0x2b820, 0x2b91f], [0x2b920, 0x2ceaf], [0xf900, 0xfaff], [0x2f800, 0x2fa1f], [0x3040, 0x30ff],
    [0xac00, 0xd7a3], [0x1100, 0x11ff], [0x3130, 0x318f], [0xff00, 0xffef]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e], [0xa1, 0xbf], [0x2010, 0x205e],
    [0x3000, 0x303f], [0x2e00, 0x2e5d], [0xfe10, 0xfe6b], [0x55a, 0x55f], [0x60c, 0x61f]],
  emoji: [[0x1f300, 0x1f5ff], [0x1f600, 0x1f64f], [0x1f900, 0x1faff], [0x2600, 0x27bf],
    [0x1f3fb, 0x1f3ff], [0x200d, 0x200d], [0xfe0f, 0xfe0f], [0x1f1e6, 0x1f1ff]],
  control: [[0x0, 0x1f], [0x7f, 0x9f], [0x200b, 0x200f], [0x2060, 0x2064], [0xfeff, 0xfeff],
    [0xad, 0xad], [0xe000, 0xf8ff], [0xfffd, 0xfffd], [0xfff9, 0xfffb], [0x110bd, 0x110bd],
    [0xe0001, 0xe007f], [0xf0000, 0xf0010]],
  space: [[0x20, 0x20], [0x9, 0xd], [0xa0, 0xa0], [0x2000, 0x200a], [0x3000, 0x3000],
    [0x1680, 0x1680], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x85, 0x85]],
  greek: [[0x391, 0x3a9], [0x3b1, 0x3c9], [0x3a3, 0x3a3], [0x3c2, 0x3c2], [0x386, 0x390],
    [0x1f00, 0x1fff], [0x400, 0x4ff], [0x130, 0x131], [0x1c4, 0x1cc], [0xdf, 0xdf], [0x1e9e, 0x1e9e]],
  any: [[0x80, 0x10ffff]],
}
const kWords = ['the', 'Hello', 'WORLD', "don't", 'naïve', 'ΣΟΦΟΣ', 'σοφός', 'Straße', 'İstanbul',
  'coöperate', 'ﬁne', 'Ǆemal', 'ＡＢＣ', '[SEP]', '[MASK]', '[CLS]', '[UNK]', '[PAD]', '[mask]',
  '[SEP', 'x[SEP]y', '##ing', 'unbelievable', 'antidisestablishmentarianism', '1,000.50', 'e-mail',
  'http://example.com/a?b=c', '@user', '#tag', '...', '😀👍🏽', '👨‍👩‍👧', 'tiếng Việt', 'العربية', 'हिन्दी',
  'ไทย', '中文', '日本語', '한국어']

function piece() {
  const kind = pick(['word', 'word', 'ascii', 'accented', 'combining', 'cjk', 'punct', 'emoji',
    'control', 'space', 'greek', 'any', 'long', 'mix'])
  if (kind === 'word') return pick(kWords)
  if (kind === 'long') return pick(['a', 'ab', 'é', 'ü', 'x']).repeat(int(30, 70))
  const n = int(1, 6)
  let s = ''
  for (let i = 0; i < n; ++i) {
    let ranges = kRanges[kind === 'mix' ? pick(Object.keys(kRanges)) : kind]
    let ch
    do ch = fromRange(pick(ranges))
    while (isSurrogate(ch.codePointAt(0)))
    // Combining marks want a base letter in front of them now and then.
    s += kind === 'combining' && rand() < 0.5 ? pick(['a', 'e', 'o', 'Σ', 'ı']) + ch : ch
  }
  return s
}

function generated() {
  const out = []
  for (let i = 0; i < nGenerated; ++i) {
    const n = int(1, 12)
    let s = ''
    for (let j = 0; j < n; ++j) s += (j > 0 && rand() < 0.6 ? ' ' : '') + piece()
    out.push(s)
  }
  return out
}

function writeAtomic(file, lines) {
  fs.writeFileSync(file + '.tmp', lines.join('\n') + '\n')
  fs.renameSync(file + '.tmp', file)
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true })
  const tok = tk.Tokenizer.fromFile(tokenizerJson)
  const items = []
  for (const name of fs.readdirSync(allFilesDir).sort()) {
    if (!name.endsWith('.txt')) continue
    items.push({ source: 'all_files/' + name, text: fs.readFileSync(path.join(allFilesDir, name), 'utf8') })
  }
  const nFiles = items.length
  generated().forEach((text, i) => items.push({ source: 'generated/' + i, text }))
  const lines = []
  const kChunk = 512
  for (let i = 0; i < items.length; i += kChunk) {
    const chunk = items.slice(i, i + kChunk)
    const encodings = await tok.encodeBatch(chunk.map((x) => x.text))
    chunk.forEach((x, k) => lines.push(JSON.stringify({ source: x.source, text: x.text, ids: encodings[k].getIds() })))
  }
  writeAtomic(path.join(outDir, 'oracle.jsonl'), lines)

  const clean = tk.bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false })
  const chinese = tk.bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false })
  const strip = tk.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false })
  const lower = tk.bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true })
  const pre = tk.bertPreTokenizer()
  const hex = (s) => Array.from(s).map((c) => c.codePointAt(0).toString(16)).join(' ')
  const probe = []
  for (let cp = 0; cp <= 0x10ffff; ++cp) {
    if (isSurrogate(cp)) continue
    const s = 'a' + String.fromCodePoint(cp) + 'b'
    const stages = [clean, chinese, strip, lower].map((n) => n.normalizeString(s))
    const words = pre.preTokenizeString(s).map((w) => w[0])
    const fields = stages.map((x) => (x === s ? '=' : hex(x)))
    fields.push(words.length === 1 && words[0] === s ? '=' : words.map(hex).join(' | '))
    if (fields.some((f) => f !== '=')) probe.push(cp.toString(16) + '\t' + fields.join('\t'))
  }
  writeAtomic(path.join(outDir, 'probe.tsv'), probe)

  // NFD's decompositions and canonical ordering: each code point after a class-230 mark and
  // before a class-1 mark, where NFD changes either string.
  const nfd = tk.nfdNormalizer()
  const nfdLines = []
  for (let cp = 0x80; cp <= 0x10ffff; ++cp) {
    if (isSurrogate(cp)) continue
    const c = String.fromCodePoint(cp)
    const a = 'x' + c + '\u0334'
    const b = 'x\u0301' + c
    const na = nfd.normalizeString(a)
    const nb = nfd.normalizeString(b)
    if (na !== a || nb !== b) nfdLines.push(cp.toString(16) + '\t' + hex(na) + '\t' + hex(nb))
  }
  writeAtomic(path.join(outDir, 'nfd.tsv'), nfdLines)
  console.log(`oracle: ${nFiles} files + ${nGenerated} generated strings, ${probe.length} probe lines, ${nfdLines.length} NFD lines -> ${outDir}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
