/**
 * ARFF (Weka's attribute-relation file format) -> labelled numeric CSV for `data/` (run by scripts/build-data.sh).
 *
 *   tsx scripts/arff-to-csv.ts <in.arff> <out.csv> --label <attribute> --positive <level> [--one-hot]
 *
 * The label attribute becomes the last column `y` (1 for the `--positive` level, 0 otherwise). Numeric
 * attributes are copied. Nominal attributes are rejected unless `--one-hot` is given, which writes them as
 * indicator columns named `attribute=level`: the first declared level is the reference and gets no column
 * (treatment coding, so the indicators are not collinear with an intercept), and levels that never occur in the
 * data get no column either. Missing values ('?') are rejected.
 *
 * The data section is parsed by arquero's CSV reader (ARFF data rows are comma-separated); ARFF's single quotes
 * are stripped afterwards, and every value is checked against its attribute's declared type, so a row that a
 * quoted comma would have split wrongly fails loudly instead of shifting columns.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as aq from 'arquero';

export interface ArffAttribute {
  name: string;
  type: 'numeric' | 'nominal';
  /** Declared levels of a nominal attribute, in order. */
  levels?: string[];
}

export interface ArffData {
  relation: string;
  attributes: ArffAttribute[];
  /** One column per attribute: numbers for numeric attributes, level strings for nominal ones. */
  table: aq.ColumnTable;
}

/** Remove one pair of matching single or double quotes around a token. */
function unquote(token: string): string {
  const t = token.trim();
  if (t.length >= 2 && (t[0] === "'" || t[0] === '"') && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

/** Split a nominal specification `{a, 'b c', d}` into its levels. */
function parseLevels(spec: string): string[] {
  const inner = spec.trim().replace(/^\{/, '').replace(/\}$/, '');
  const levels: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of inner) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === ',') {
      levels.push(unquote(current));
      current = '';
    } else {
      current += ch;
    }
  }
  if (current.trim() !== '') levels.push(unquote(current));
  return levels;
}

/** Parse an ARFF text into its attributes and an arquero table (see the header comment). */
export function parseArff(text: string, source = 'ARFF input'): ArffData {
  const lines = text.split(/\r?\n/);
  let relation = '';
  const attributes: ArffAttribute[] = [];
  let dataLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('%')) continue;
    const lower = line.toLowerCase();
    if (lower.startsWith('@relation')) {
      relation = unquote(line.slice('@relation'.length));
    } else if (lower.startsWith('@attribute')) {
      const rest = line.slice('@attribute'.length).trim();
      const match = /^('[^']*'|"[^"]*"|\S+)\s+(.*)$/.exec(rest);
      if (!match) throw new Error(`parseArff: ${source} line ${i + 1}: cannot read the attribute "${line}"`);
      const name = unquote(match[1]);
      const type = match[2].trim();
      if (type.startsWith('{')) {
        attributes.push({ name, type: 'nominal', levels: parseLevels(type) });
      } else if (/^(numeric|real|integer)$/i.test(type)) {
        attributes.push({ name, type: 'numeric' });
      } else {
        throw new Error(`parseArff: ${source} line ${i + 1}: attribute "${name}" has type "${type}", expected numeric, real, integer or {levels}`);
      }
    } else if (lower.startsWith('@data')) {
      dataLine = i;
      break;
    } else {
      throw new Error(`parseArff: ${source} line ${i + 1}: unexpected header line "${line}"`);
    }
  }
  if (dataLine < 0) throw new Error(`parseArff: ${source} has no @data section`);
  if (attributes.length === 0) throw new Error(`parseArff: ${source} declares no @attribute`);

  const body = lines
    .slice(dataLine + 1)
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('%'))
    .join('\n');
  const names = attributes.map((a) => a.name);
  const parse: Record<string, (value: string) => unknown> = {};
  for (const attribute of attributes) {
    parse[attribute.name] = (raw: string) => {
      const value = unquote(raw ?? '');
      if (value === '?' || value === '') {
        throw new Error(`parseArff: ${source}: attribute "${attribute.name}" has a missing value, expected complete data`);
      }
      if (attribute.type === 'numeric') {
        const number = Number(value);
        if (!Number.isFinite(number)) {
          throw new Error(`parseArff: ${source}: attribute "${attribute.name}" has value "${value}", expected a finite number`);
        }
        return number;
      }
      if (!attribute.levels!.includes(value)) {
        throw new Error(
          `parseArff: ${source}: attribute "${attribute.name}" has value "${value}", expected one of ${JSON.stringify(attribute.levels)}`,
        );
      }
      return value;
    };
  }
  const table = aq.fromCSV(body, { header: false, names, autoType: false, parse });
  return { relation, attributes, table };
}

/**
 * The numeric design table: numeric attributes as they are, nominal ones as treatment-coded indicators
 * (`oneHot`), the label last as `y` in {0, 1}. Column order follows the attribute order.
 */
export function toLabelledTable(
  data: { attributes: ArffAttribute[]; table: aq.ColumnTable },
  label: string,
  positive: string,
  options: { oneHot?: boolean } = {},
): aq.ColumnTable {
  const labelAttribute = data.attributes.find((a) => a.name === label);
  if (!labelAttribute) {
    throw new Error(`toLabelledTable: option "label" = "${label}", expected one of ${JSON.stringify(data.attributes.map((a) => a.name))}`);
  }
  const labels = data.table.array(label) as unknown[];
  if (!labels.some((v) => String(v) === positive)) {
    throw new Error(`toLabelledTable: option "positive" = "${positive}", expected a value of "${label}" that occurs in the data`);
  }
  const columns: Record<string, number[]> = {};
  for (const attribute of data.attributes) {
    if (attribute.name === label) continue;
    const values = data.table.array(attribute.name) as unknown[];
    if (attribute.type === 'numeric') {
      columns[attribute.name] = Array.from(values, Number);
      continue;
    }
    if (!options.oneHot) {
      throw new Error(`toLabelledTable: attribute "${attribute.name}" is nominal, expected numeric attributes only (pass oneHot to encode it)`);
    }
    const present = new Set(values.map(String));
    for (const level of attribute.levels!.slice(1)) {
      if (!present.has(level)) continue;
      columns[`${attribute.name}=${level}`] = Array.from(values, (v) => (String(v) === level ? 1 : 0));
    }
  }
  columns.y = Array.from(labels, (v) => (String(v) === positive ? 1 : 0));
  return aq.table(columns);
}

function parseCli(argv: string[]) {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--one-hot') flags.oneHot = true;
    else if (arg === '--label' || arg === '--positive') flags[arg.slice(2)] = argv[++i];
    else positional.push(arg);
  }
  const [input, output] = positional;
  if (!input || !output || typeof flags.label !== 'string' || typeof flags.positive !== 'string') {
    throw new Error('usage: tsx scripts/arff-to-csv.ts <in.arff> <out.csv> --label <attribute> --positive <level> [--one-hot]');
  }
  return { input, output, label: flags.label, positive: flags.positive, oneHot: flags.oneHot === true };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { input, output, label, positive, oneHot } = parseCli(process.argv.slice(2));
  const data = parseArff(readFileSync(input, 'utf8'), input);
  const table = toLabelledTable(data, label, positive, { oneHot });
  writeFileSync(output, table.toCSV());
  console.log(`${output}: ${table.numRows()} rows, ${table.numCols() - 1} features + y (from ${data.attributes.length} ARFF attributes)`);
}
