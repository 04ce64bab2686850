/**
 * Writes a tiny llama-architecture GGUF file with random weights and a byte-level vocabulary, so the
 * embedded adapter can be tested for real without downloading anything. The text it produces is
 * nonsense; the point is that loading, grammar-constrained sampling and parsing work end to end.
 *
 * Run directly to write a file: `node packages/models/test/support/tiny-gguf.ts /tmp/tiny.gguf`.
 */
import { writeFile } from "node:fs/promises";

/** GGUF metadata value types (from the GGUF specification). */
const valueType = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
/** GGML tensor type id for 32-bit floats. */
const ggmlFloat32 = 0;
/** SentencePiece token types as llama.cpp reads them. */
const tokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;
const alignment = 32;

type MetadataValue =
  | { type: "uint32" | "int32" | "float32"; value: number }
  | { type: "string"; value: string }
  | { type: "bool"; value: boolean }
  | { type: "strings"; value: string[] }
  | { type: "float32s" | "int32s"; value: number[] };

interface TensorSpec {
  name: string;
  /** GGML order: the first dimension is the innermost (contiguous) one. */
  dims: number[];
}

export interface TinyModelShape {
  embedding: number;
  layers: number;
  heads: number;
  feedForward: number;
  contextLength: number;
  seed: number;
}

const defaultShape: TinyModelShape = { embedding: 64, layers: 2, heads: 4, feedForward: 128, contextLength: 2048, seed: 7 };

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;
  push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }
  u32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    this.push(buffer);
  }
  i32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32LE(value);
    this.push(buffer);
  }
  u64(value: number): void {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt(value));
    this.push(buffer);
  }
  f32(value: number): void {
    const buffer = Buffer.alloc(4);
    buffer.writeFloatLE(value);
    this.push(buffer);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  padTo(multiple: number): void {
    const padding = (multiple - (this.length % multiple)) % multiple;
    if (padding > 0) this.push(Buffer.alloc(padding));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(writer: ByteWriter, entry: MetadataValue): void {
  switch (entry.type) {
    case "uint32":
      writer.u32(valueType.uint32);
      writer.u32(entry.value);
      return;
    case "int32":
      writer.u32(valueType.int32);
      writer.i32(entry.value);
      return;
    case "float32":
      writer.u32(valueType.float32);
      writer.f32(entry.value);
      return;
    case "bool":
      writer.u32(valueType.bool);
      writer.push(Buffer.from([entry.value ? 1 : 0]));
      return;
    case "string":
      writer.u32(valueType.string);
      writer.string(entry.value);
      return;
    case "strings":
      writer.u32(valueType.array);
      writer.u32(valueType.string);
      writer.u64(entry.value.length);
      for (const item of entry.value) writer.string(item);
      return;
    case "float32s":
      writer.u32(valueType.array);
      writer.u32(valueType.float32);
      writer.u64(entry.value.length);
      for (const item of entry.value) writer.f32(item);
      return;
    case "int32s":
      writer.u32(valueType.array);
      writer.u32(valueType.int32);
      writer.u64(entry.value.length);
      for (const item of entry.value) writer.i32(item);
      return;
  }
}

/** A small deterministic generator (mulberry32) so every run writes the same file. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The byte-level vocabulary: three control tokens, then one token per byte (`<0x00>`…`<0xFF>`). */
function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [tokenType.unknown, tokenType.control, tokenType.control];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(tokenType.byte);
  }
  return { tokens, scores: tokens.map(() => 0), types };
}

/**
 * Builds the GGUF bytes of a tiny random llama model.
 *
 * @example
 * const bytes = buildTinyGguf();
 * await writeFile("/tmp/tiny.gguf", bytes);
 */
export function buildTinyGguf(shape: Partial<TinyModelShape> = {}): Buffer {
  const { embedding, layers, heads, feedForward, contextLength, seed } = { ...defaultShape, ...shape };
  const vocab = vocabulary();
  const vocabSize = vocab.tokens.length;
  const metadata: Array<[string, MetadataValue]> = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "agentfold-tiny-random" }],
    ["general.alignment", { type: "uint32", value: alignment }],
    ["llama.context_length", { type: "uint32", value: contextLength }],
    ["llama.embedding_length", { type: "uint32", value: embedding }],
    ["llama.block_count", { type: "uint32", value: layers }],
    ["llama.feed_forward_length", { type: "uint32", value: feedForward }],
    ["llama.attention.head_count", { type: "uint32", value: heads }],
    ["llama.attention.head_count_kv", { type: "uint32", value: heads }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "float32", value: 1e-5 }],
    ["llama.rope.dimension_count", { type: "uint32", value: embedding / heads }],
    ["llama.vocab_size", { type: "uint32", value: vocabSize }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "strings", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "float32s", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "int32s", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "uint32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "uint32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "uint32", value: 2 }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
  ];
  const tensors: TensorSpec[] = [
    { name: "token_embd.weight", dims: [embedding, vocabSize] },
    { name: "output_norm.weight", dims: [embedding] },
    { name: "output.weight", dims: [embedding, vocabSize] },
  ];
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `blk.${layer}.`;
    tensors.push(
      { name: `${prefix}attn_norm.weight`, dims: [embedding] },
      { name: `${prefix}attn_q.weight`, dims: [embedding, embedding] },
      { name: `${prefix}attn_k.weight`, dims: [embedding, embedding] },
      { name: `${prefix}attn_v.weight`, dims: [embedding, embedding] },
      { name: `${prefix}attn_output.weight`, dims: [embedding, embedding] },
      { name: `${prefix}ffn_norm.weight`, dims: [embedding] },
      { name: `${prefix}ffn_gate.weight`, dims: [embedding, feedForward] },
      { name: `${prefix}ffn_up.weight`, dims: [embedding, feedForward] },
      { name: `${prefix}ffn_down.weight`, dims: [feedForward, embedding] },
    );
  }

  const header = new ByteWriter();
  header.push(Buffer.from("GGUF", "ascii"));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) {
    header.string(key);
    writeValue(header, value);
  }
  const data = new ByteWriter();
  const next = random(seed);
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(ggmlFloat32);
    data.padTo(alignment);
    header.u64(data.length);
    const count = tensor.dims.reduce((product, dim) => product * dim, 1);
    const isNorm = tensor.name.endsWith("norm.weight");
    const values = Buffer.alloc(count * 4);
    for (let index = 0; index < count; index++) {
      values.writeFloatLE(isNorm ? 1 : (next() - 0.5) * 0.2, index * 4);
    }
    data.push(values);
  }
  header.padTo(alignment);
  return Buffer.concat([header.toBuffer(), data.toBuffer()]);
}

/**
 * Writes the tiny model to `path` and returns its size in bytes.
 *
 * @example
 * await writeTinyGguf(join(tmpdir(), "tiny.gguf"));
 */
export async function writeTinyGguf(path: string, shape: Partial<TinyModelShape> = {}): Promise<number> {
  const bytes = buildTinyGguf(shape);
  await writeFile(path, bytes);
  return bytes.length;
}

if (import.meta.main) {
  const target = process.argv[2] ?? "tiny.gguf";
  const size = await writeTinyGguf(target);
  console.log(`wrote ${target} (${size} bytes)`);
}
