/**
 * R data file (.rda / .RData, R's XDR serialisation format 2 or 3) -> labelled numeric CSV, without R
 * (run by scripts/build-data.sh for mlbench's Sonar.rda; Debian's R is a 26 MB package with a long tail of
 * shared libraries, far more than one data frame needs).
 *
 *   tsx scripts/rda-to-csv.ts <in.rda> <out.csv> --object <name> --label <column> --positive <level>
 *
 * Scope: the subset of the format a data frame of numeric and factor columns uses (pairlists, symbols and
 * references to them, character, logical, integer and double vectors, lists, attributes). Anything else is
 * rejected with the SEXP type found. The file may be xz-compressed (as mlbench's are: decompressed with the
 * system's `xz`), gzip-compressed or plain. Numeric columns are copied; the factor `--label` becomes the last
 * column `y` (1 for `--positive`, 0 otherwise), written through arquero like scripts/arff-to-csv.ts.
 *
 * Format reference: R Internals, section 1.8 "Serialization formats" (flags word: type = bits 0-7, is-object
 * bit 8, has-attributes bit 9, has-tag bit 10; attributes follow a vector's data, and precede a pairlist
 * node's tag and value).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import * as aq from 'arquero';

/** An R value as read: vectors keep their attributes. */
export type RValue =
  | { type: 'null' }
  | { type: 'symbol'; name: string }
  | { type: 'pairlist'; items: { tag: string | null; value: RValue }[]; attributes: RAttributes }
  | { type: 'double'; values: Float64Array; attributes: RAttributes }
  | { type: 'integer' | 'logical'; values: Int32Array; attributes: RAttributes }
  | { type: 'character'; values: (string | null)[]; attributes: RAttributes }
  | { type: 'list'; values: RValue[]; attributes: RAttributes };

export type RAttributes = Record<string, RValue>;

const SEXP = {
  NIL: 0,
  SYM: 1,
  LIST: 2,
  CHAR: 9,
  LGL: 10,
  INT: 13,
  REAL: 14,
  STR: 16,
  VEC: 19,
  REF: 255,
  NILVALUE: 254,
} as const;

class XdrReader {
  private offset = 0;
  private readonly view: DataView;
  readonly references: RValue[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  int(): number {
    if (this.offset + 4 > this.bytes.length) throw new Error(`readRData: unexpected end of data at byte ${this.offset}`);
    const v = this.view.getInt32(this.offset, false);
    this.offset += 4;
    return v;
  }

  double(): number {
    const v = this.view.getFloat64(this.offset, false);
    this.offset += 8;
    return v;
  }

  string(length: number): string {
    const s = new TextDecoder('utf-8').decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return s;
  }

  /** A CHARSXP's contents (after its flags): length, then bytes; length -1 is NA_character_. */
  charsxp(): string | null {
    const length = this.int();
    return length === -1 ? null : this.string(length);
  }

  attributes(hasAttributes: boolean): RAttributes {
    if (!hasAttributes) return {};
    const pairlist = this.item();
    if (pairlist.type !== 'pairlist') throw new Error('readRData: attributes are not a pairlist');
    const out: RAttributes = {};
    for (const { tag, value } of pairlist.items) out[tag ?? ''] = value;
    return out;
  }

  item(): RValue {
    const flags = this.int();
    const type = flags & 0xff;
    const hasAttributes = (flags & (1 << 9)) !== 0;
    const hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case SEXP.NILVALUE:
        return { type: 'null' };
      case SEXP.REF: {
        const index = flags >> 8 || this.int();
        const ref = this.references[index - 1];
        if (!ref) throw new Error(`readRData: reference ${index} to an unknown object`);
        return ref;
      }
      case SEXP.SYM: {
        const charFlags = this.int();
        if ((charFlags & 0xff) !== SEXP.CHAR) throw new Error('readRData: a symbol without its name');
        const symbol: RValue = { type: 'symbol', name: this.charsxp() ?? 'NA' };
        this.references.push(symbol);
        return symbol;
      }
      case SEXP.LIST: {
        const items: { tag: string | null; value: RValue }[] = [];
        let attributes: RAttributes = {};
        let nodeFlags = flags;
        // a pairlist is a chain of nodes: [attributes] [tag] value, then the next node's flags (or NILVALUE)
        for (;;) {
          const nodeAttributes = this.attributes((nodeFlags & (1 << 9)) !== 0);
          if (items.length === 0) attributes = nodeAttributes;
          let tag: string | null = null;
          if ((nodeFlags & (1 << 10)) !== 0) {
            const tagValue = this.item();
            tag = tagValue.type === 'symbol' ? tagValue.name : null;
          }
          items.push({ tag, value: this.item() });
          nodeFlags = this.int();
          if ((nodeFlags & 0xff) === SEXP.NILVALUE) break;
          if ((nodeFlags & 0xff) !== SEXP.LIST) {
            throw new Error(`readRData: pairlist continues with SEXP type ${nodeFlags & 0xff}, expected a pairlist node`);
          }
        }
        void hasTag;
        return { type: 'pairlist', items, attributes };
      }
      case SEXP.REAL: {
        const n = this.int();
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = this.double();
        return { type: 'double', values, attributes: this.attributes(hasAttributes) };
      }
      case SEXP.INT:
      case SEXP.LGL: {
        const n = this.int();
        const values = new Int32Array(n);
        for (let i = 0; i < n; i++) values[i] = this.int();
        return { type: type === SEXP.INT ? 'integer' : 'logical', values, attributes: this.attributes(hasAttributes) };
      }
      case SEXP.STR: {
        const n = this.int();
        const values: (string | null)[] = [];
        for (let i = 0; i < n; i++) {
          const charFlags = this.int();
          if ((charFlags & 0xff) !== SEXP.CHAR) throw new Error('readRData: a character vector element is not a CHARSXP');
          values.push(this.charsxp());
        }
        return { type: 'character', values, attributes: this.attributes(hasAttributes) };
      }
      case SEXP.VEC: {
        const n = this.int();
        const values: RValue[] = [];
        for (let i = 0; i < n; i++) values.push(this.item());
        return { type: 'list', values, attributes: this.attributes(hasAttributes) };
      }
      default:
        throw new Error(`readRData: SEXP type ${type} is not supported (only data frames of numeric and factor columns)`);
    }
  }
}

function decompress(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes[0] === 0xfd && bytes[1] === 0x37 && bytes[2] === 0x7a && bytes[3] === 0x58) {
    const result = spawnSync('xz', ['-dc'], { input: bytes, maxBuffer: 1 << 30 });
    if (result.status !== 0) throw new Error(`readRData: xz -dc failed on ${source}: ${result.stderr?.toString() ?? result.error}`);
    return new Uint8Array(result.stdout);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return new Uint8Array(gunzipSync(bytes));
  return bytes;
}

/** The named objects of an .rda file (a pairlist of name -> value). */
export function readRData(bytes: Uint8Array, source = '.rda input'): Record<string, RValue> {
  const raw = decompress(bytes, source);
  const magic = new TextDecoder().decode(raw.subarray(0, 5));
  if (magic !== 'RDX2\n' && magic !== 'RDX3\n') {
    throw new Error(`readRData: ${source} starts with ${JSON.stringify(magic)}, expected "RDX2\\n" or "RDX3\\n" (an .rda file)`);
  }
  if (raw[5] !== 0x58 || raw[6] !== 0x0a) throw new Error(`readRData: ${source} is not in XDR format (only "X\\n" is supported)`);
  const reader = new XdrReader(raw.subarray(7));
  const version = reader.int();
  reader.int(); // R version that wrote it
  reader.int(); // minimal R version to read it
  if (version === 3) reader.string(reader.int()); // native encoding
  else if (version !== 2) throw new Error(`readRData: ${source} has serialisation version ${version}, expected 2 or 3`);
  const top = reader.item();
  if (top.type !== 'pairlist') throw new Error(`readRData: ${source} does not hold a pairlist of named objects`);
  const out: Record<string, RValue> = {};
  for (const { tag, value } of top.items) out[tag ?? ''] = value;
  return out;
}

function stringsOf(value: RValue | undefined): (string | null)[] {
  return value && value.type === 'character' ? value.values : [];
}

/** The columns of a data frame: doubles as numbers, integers as numbers, factors as their level strings. */
export function dataFrameColumns(frame: RValue, name = 'object'): Record<string, (number | string)[]> {
  if (frame.type !== 'list' || !stringsOf(frame.attributes.class).includes('data.frame')) {
    throw new Error(`dataFrameColumns: "${name}" is a ${frame.type}, expected a data.frame`);
  }
  const names = stringsOf(frame.attributes.names);
  const columns: Record<string, (number | string)[]> = {};
  frame.values.forEach((column, j) => {
    const columnName = names[j] ?? `V${j + 1}`;
    if (column.type === 'double') {
      columns[columnName] = Array.from(column.values);
    } else if (column.type === 'integer' && stringsOf(column.attributes.class).includes('factor')) {
      const levels = stringsOf(column.attributes.levels);
      columns[columnName] = Array.from(column.values, (code) => {
        const level = levels[code - 1];
        if (level == null) throw new Error(`dataFrameColumns: factor "${columnName}" has code ${code}, expected 1..${levels.length}`);
        return level;
      });
    } else if (column.type === 'integer') {
      columns[columnName] = Array.from(column.values);
    } else {
      throw new Error(`dataFrameColumns: column "${columnName}" is a ${column.type}, expected double, integer or factor`);
    }
  });
  return columns;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
  const [input, output] = positional;
  const object = flag('object');
  const label = flag('label');
  const positive = flag('positive');
  if (!input || !output || !object || !label || !positive) {
    throw new Error('usage: tsx scripts/rda-to-csv.ts <in.rda> <out.csv> --object <name> --label <column> --positive <level>');
  }
  const objects = readRData(readFileSync(input), input);
  if (!objects[object]) throw new Error(`rda-to-csv: option "object" = "${object}", expected one of ${JSON.stringify(Object.keys(objects))}`);
  const columns = dataFrameColumns(objects[object], object);
  if (!columns[label]) throw new Error(`rda-to-csv: option "label" = "${label}", expected one of ${JSON.stringify(Object.keys(columns))}`);
  const labels = columns[label];
  if (!labels.includes(positive)) throw new Error(`rda-to-csv: option "positive" = "${positive}", expected a value of "${label}"`);
  const out: Record<string, number[]> = {};
  for (const [name, values] of Object.entries(columns)) {
    if (name === label) continue;
    if (values.some((v) => typeof v !== 'number')) {
      throw new Error(`rda-to-csv: column "${name}" is not numeric, expected numeric features besides the label`);
    }
    out[name] = values as number[];
  }
  out.y = labels.map((v) => (v === positive ? 1 : 0));
  const table = aq.table(out);
  writeFileSync(output, table.toCSV());
  console.log(`${output}: ${table.numRows()} rows, ${table.numCols() - 1} features + y (from ${input}, object ${object})`);
}
