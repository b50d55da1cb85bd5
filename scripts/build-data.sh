#!/usr/bin/env bash
# Rebuilds data/ionosphere.csv, data/sonar.csv and data/german-credit.csv from Debian packages (no other network
# access), and checks them against data/CHECKSUMS.sha256. See data/README.md for the sources and the encoding.
#
#   bash scripts/build-data.sh            rebuild in a temporary folder; fail unless the rebuilt files match
#                                         data/CHECKSUMS.sha256 byte for byte (data/ is left untouched)
#   bash scripts/build-data.sh --update   rebuild, copy the CSVs into data/ and rewrite data/CHECKSUMS.sha256
#   bash scripts/build-data.sh --verify   only check the committed CSVs against data/CHECKSUMS.sha256
#
# Sources: Debian's `weka` (ionosphere.arff, credit-g.arff under /usr/share/doc/weka/examples/) and
# `r-cran-mlbench` (Sonar.rda; its Ionosphere.rda cross-checks the R-data reader against weka's ionosphere).
# Needs: apt-get (after `apt-get update`), dpkg-deb, xz, sha256sum, node with the project's node_modules.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/data"
MODE="${1:-rebuild}"
# The versions data/README.md documents; another version is used with a warning (the checksums decide).
EXPECTED_WEKA="3.6.14-3"
EXPECTED_MLBENCH="2.1-3-1"

verify() {
  (cd "$1" && sha256sum --check --strict "$DATA/CHECKSUMS.sha256")
}

case "$MODE" in
  --verify)
    verify "$DATA"
    exit 0
    ;;
  rebuild | --update) ;;
  *)
    echo "build-data.sh: unknown argument \"$MODE\", expected --update, --verify or nothing" >&2
    exit 2
    ;;
esac

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# apt-get download runs as the _apt user when it can; give it a folder it may write to.
chmod 777 "$WORK"
for pkg in weka r-cran-mlbench; do
  apt-get download "$pkg" >/dev/null
  deb="$(ls "$WORK"/"$pkg"_*.deb)"
  dpkg-deb -x "$deb" "$WORK/$pkg"
  version="$(dpkg-deb -f "$deb" Version)"
  echo "$pkg $version"
  expected="$EXPECTED_WEKA"
  [ "$pkg" = r-cran-mlbench ] && expected="$EXPECTED_MLBENCH"
  if [ "$version" != "$expected" ]; then
    echo "build-data.sh: warning: $pkg is version $version, data/README.md documents $expected" >&2
  fi
done

EXAMPLES="$WORK/weka/usr/share/doc/weka/examples"
MLBENCH="$WORK/r-cran-mlbench/usr/lib/R/site-library/mlbench/data"
OUT="$WORK/out"
mkdir -p "$OUT"
TSX=("$ROOT/node_modules/.bin/tsx")

"${TSX[@]}" "$ROOT/scripts/arff-to-csv.ts" "$EXAMPLES/ionosphere.arff" "$OUT/ionosphere.csv" --label class --positive g
"${TSX[@]}" "$ROOT/scripts/arff-to-csv.ts" "$EXAMPLES/credit-g.arff" "$OUT/german-credit.csv" --label class --positive good --one-hot
"${TSX[@]}" "$ROOT/scripts/rda-to-csv.ts" "$MLBENCH/Sonar.rda" "$OUT/sonar.csv" --object Sonar --label Class --positive M

# Cross-check of the R-data reader: mlbench's Ionosphere (V3..V34 numeric, V1, V2 factors) must equal weka's
# ionosphere columns a03..a34 and labels, value for value.
cat > "$WORK/crosscheck.ts" <<EOF
import { readFileSync } from 'node:fs';
import * as aq from '$ROOT/node_modules/arquero/src/index.js';
import { readRData, dataFrameColumns } from '$ROOT/scripts/rda-to-csv.ts';
const r = dataFrameColumns(readRData(readFileSync('$MLBENCH/Ionosphere.rda')).Ionosphere, 'Ionosphere');
const w = aq.fromCSV(readFileSync('$OUT/ionosphere.csv', 'utf8'));
let mismatches = 0;
for (let j = 3; j <= 34; j++) {
  const a = r['V' + j] as number[];
  const b = w.array('a' + String(j).padStart(2, '0')) as number[];
  a.forEach((v, i) => { if (Math.abs(v - b[i]) > 1e-12) mismatches++; });
}
(r.Class as string[]).forEach((v, i) => { if ((v === 'good' ? 1 : 0) !== w.get('y', i)) mismatches++; });
if (mismatches > 0 || w.numRows() !== r.Class.length) throw new Error('ionosphere cross-check failed: ' + mismatches + ' mismatches');
console.log('cross-check: mlbench Ionosphere.rda == weka ionosphere.arff (' + w.numRows() + ' rows)');
EOF
"${TSX[@]}" "$WORK/crosscheck.ts"

if [ "$MODE" = "--update" ]; then
  cp "$OUT/ionosphere.csv" "$OUT/sonar.csv" "$OUT/german-credit.csv" "$DATA/"
  (cd "$DATA" && sha256sum ionosphere.csv sonar.csv german-credit.csv > CHECKSUMS.sha256)
  echo "updated data/ and data/CHECKSUMS.sha256"
  verify "$DATA"
else
  verify "$OUT"
  echo "the rebuilt CSVs match data/CHECKSUMS.sha256"
fi
