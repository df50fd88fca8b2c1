#!/usr/bin/env bash
# Checks deploy/: the Prometheus alert rules with promtool (Debian's
# `prometheus` package, installed when missing), the Grafana dashboard as
# JSON, and that every syncd_* series the rules and the dashboard query is
# in the /metrics output of a running syncd (started here on free ports
# with a temporary database; build/syncd is built when missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

scripts/install-deps.sh --only prometheus

echo "== check-deploy: promtool check rules deploy/alerts.yml"
promtool check rules deploy/alerts.yml

echo "== check-deploy: deploy/grafana-dashboard.json is JSON"
python3 -m json.tool deploy/grafana-dashboard.json >/dev/null

# Metric names in the queries: the dashboard's target expressions and
# variable queries, and the rules' expressions.
used=$(python3 - <<'PY'
import json, re
names = set()
dash = json.load(open("deploy/grafana-dashboard.json"))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
exprs += [v["definition"] for v in dash["templating"]["list"] if v.get("definition")]
# The rules' text outside comments: only expressions name syncd_* series.
exprs += [l for l in open("deploy/alerts.yml") if not l.lstrip().startswith("#")]
for e in exprs:
    names.update(re.findall(r"\bsyncd_[a-z0-9_]+", e))
print("\n".join(sorted(names)))
PY
)

if [[ ! -x build/syncd ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target syncd -j"$(nproc)"
fi
source scripts/lib/syncd-server.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
trap 'stop_syncd || true; rm -rf "$work"' EXIT
start_syncd "$root/build/syncd" "$work"
metrics=$(curl -sf "$SYNCD_HTTP_URL/metrics")
stop_syncd
served=$(sed -n 's/^\(syncd_[a-z0-9_]*\).*/\1/p' <<<"$metrics" | sort -u)

echo "== check-deploy: every series used exists in /metrics"
missing=0
for name in $used; do
  if ! grep -qx "$name" <<<"$served"; then
    echo "check-deploy: $name is queried but not in /metrics" >&2
    missing=1
  fi
done
((missing == 0)) || exit 1
echo "check-deploy: $(wc -w <<<"$used") series checked; deploy/ is consistent"
