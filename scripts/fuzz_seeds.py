#!/usr/bin/env python3
"""Usage: scripts/fuzz_seeds.py OUT_DIR SHARED_DIR

Writes the seed corpus of every fuzz target (fuzz/fuzz_<target>.cpp) to OUT_DIR/<target>/: small
inputs that parse, taken from the shared data and goldens, the repo's configs and fuzz/corpus/.
Large real files are cut down to small ones that still parse, so libFuzzer's mutations stay cheap.
"""
import json
import pathlib
import shutil
import struct
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def put(out, target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes); HF layout with packed offsets."""
    header, buf = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buf), len(buf) + len(raw)]}
        buf += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + buf


def seed_safetensors(out, shared):
    put(out, "safetensors", "dtypes", safetensors([
        ("f32", "F32", [2, 3], struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
        ("f64", "F64", [1], struct.pack("<d", 0.5)),
        ("f16", "F16", [2], b"\x00\x3c\x00\xc0"),
        ("bf16", "BF16", [2], b"\x80\x3f\x00\x40"),
        ("i64", "I64", [2], struct.pack("<2q", -1, 7)),
        ("i32", "I32", [1, 1], struct.pack("<i", 3)),
        ("i16", "I16", [1], struct.pack("<h", -2)),
        ("i8", "I8", [2], b"\x01\xff"),
        ("u8", "U8", [3], b"abc"),
        ("b", "BOOL", [2], b"\x00\x01"),
    ], {"format": "pt"}))
    put(out, "safetensors", "scalar_and_empty", safetensors([
        ("scalar", "F32", [], struct.pack("<f", 1.5)), ("empty", "F32", [0, 4], b"")]))
    put(out, "safetensors", "no_tensors", safetensors([], {"format": "pt"}))
    # The golden forward file's header, with each tensor cut to a few elements.
    blob = (shared / "golden/forward.safetensors").read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    size = {"F32": 4, "I64": 8, "F16": 2, "BF16": 2, "I32": 4}
    small = []
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in size:
            continue
        shape = [min(d, 2) for d in info["shape"]]
        count = 1
        for d in shape:
            count *= d
        small.append((name, info["dtype"], shape, b"\x01" * (count * size[info["dtype"]])))
    put(out, "safetensors", "forward_cut", safetensors(small[:6], header.get("__metadata__")))


def seed_text(out, shared):
    tiny = shared / "golden/tiny-distilbert"
    put(out, "distilbert_config", "tiny.json", (tiny / "config.json").read_bytes())
    for f in sorted((REPO / "configs").glob("*.toml")):
        put(out, "run_config", f.name, f.read_bytes())
    ann = (shared / "data/hate-speech-dataset/annotations_metadata.csv").read_bytes().splitlines(True)
    put(out, "csv", "annotations_head.csv", b"".join(ann[:12]))
    vocab = (shared / "data/bert-base-uncased-vocab/vocab.txt").read_bytes().splitlines(True)
    put(out, "vocab", "bert_head.txt", b"".join(vocab[:110]))
    put(out, "vocab", "bert_mixed.txt", b"".join(vocab[98:106] + vocab[2000:2040] +
                                                [v for v in vocab if v.startswith(b"##")][:40]))
    put(out, "vocab", "tiny.txt", (tiny / "vocab.txt").read_bytes()[:4000])
    # Tokenizer: first byte = max_length (0: none), then the text.
    files = sorted((shared / "data/hate-speech-dataset/all_files").glob("*.txt"))[:40]
    for i, f in enumerate(files):
        put(out, "tokenizer", f"sentence_{i}", bytes([0 if i % 2 else 12]) + f.read_bytes()[:400])
    for i, line in enumerate((shared / "golden/tokens_tricky.jsonl").read_text().splitlines()):
        put(out, "tokenizer", f"tricky_{i}", b"\x00" + json.loads(line)["text"].encode())
    for d in ("csv", "run_config", "distilbert_config", "vocab", "tokenizer"):
        src = REPO / "fuzz/corpus" / d
        if src.is_dir():
            for f in sorted(src.iterdir()):
                put(out, d, "repo_" + f.name, f.read_bytes())


def seed_embeddings(out):
    """Inputs that fuzz_embeddings_h5.cpp's Reader decodes into valid files (see its decode order)."""
    def string_attr(value):  # kind 5 (vlen string), rank kept 0 (byte 1), length, bytes
        return bytes([5, 1, len(value)]) + value

    def split(name_index, rows, width, strategies=(0,)):
        b = bytes([name_index, 1, rows])                    # name, a group (not a dataset), rows
        b += bytes([0, 1, 1]) + bytes(4 * rows)             # labels int32 [rows], zero labels
        b += bytes([1, 1, 1, 1])                            # file_ids: vlen strings [rows]
        b += b"".join(bytes([2]) + b"id" for _ in range(rows))
        b += bytes([len(strategies)])
        for k in strategies:                                 # float32 [rows, width]
            b += bytes([k, 1, 1, 1, 1, width]) + bytes(4 * rows * width)
        return b

    attrs = b"".join(string_attr(v) for v in (b"distilbert", b"CLS", b"fp32", b"abc123"))
    attrs += bytes([1, 1]) + struct.pack("<q", 128) + bytes([8])   # max_length int64; no extra
    put(out, "embeddings_h5", "one_split", attrs + bytes([1]) + split(0, 3, 4))
    two = attrs + bytes([2]) + split(0, 2, 3, (0, 1)) + split(1, 1, 3, (0, 1))
    put(out, "embeddings_h5", "two_splits", two)
    put(out, "embeddings_h5", "empty_split", attrs + bytes([1]) + split(1, 0, 2))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out, shared = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    shutil.rmtree(out, ignore_errors=True)
    seed_safetensors(out, shared)
    seed_text(out, shared)
    seed_embeddings(out)


if __name__ == "__main__":
    main()
