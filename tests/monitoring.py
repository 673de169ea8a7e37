"""The shipped Prometheus rules (conf/prometheus/esatlsd-rules.yaml) and Grafana dashboard
(conf/grafana/esatlsd-dashboard.json) name only metric families and labels that daemon/stats.c
exports, rate() and increase() only counters, and the rules cover every family stats.c counts
as a loss. Each rule has a severity and a summary. When promtool is installed it checks the
rules too. Usage: monitoring.py SOURCE_DIR (exit 77: python3-yaml missing, skipped)."""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

try:
    import yaml
except ImportError:
    print("python3-yaml is not installed: skipped")
    sys.exit(77)

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
RULES = os.path.join(SOURCE, "conf", "prometheus", "esatlsd-rules.yaml")
DASHBOARD = os.path.join(SOURCE, "conf", "grafana", "esatlsd-dashboard.json")
STATS = os.path.join(SOURCE, "daemon", "stats.c")

# Labels Prometheus adds to every scraped series, and the one series it makes per target.
TARGET_LABELS = {"instance", "job"}
TARGET_SERIES = {"up"}
FUNCTIONS = {"sum", "rate", "increase", "irate", "time", "changes", "label_values", "max", "min",
             "avg", "count", "topk", "bottomk", "absent", "delta", "deriv", "clamp_min",
             "histogram_quantile", "sort_desc", "vector", "scalar", "abs", "round"}
AGGREGATIONS = {"sum", "max", "min", "avg", "count", "topk", "bottomk"}  # "sum by (x) (...)"
KEYWORDS = {"by", "without", "bool", "and", "or", "unless", "offset", "on", "ignoring",
            "group_left", "group_right"}


def stats_families():
    """{name: (is a loss)} of every family in stats.c's table."""
    with open(STATS) as f:
        text = f.read()
    table = text[text.index("#define STATS(X)"):text.index("enum stat_id")]
    families = {}
    for entry in table.split("\tX(")[1:]:
        name = re.search(r'"(esatlsd_[a-z0-9_]+)"', entry).group(1)
        families[name] = re.search(r",\s*LOSS,", entry) is not None
    return families


def stats_labels():
    """Label names stats.c gives samples: put(s, "name", ...) and {"name", value} pairs."""
    with open(STATS) as f:
        text = f.read()
    return set(re.findall(r'put\(s, "([a-z_]+)"', text)) | set(
        re.findall(r'\{"([a-z_]+)", [a-z_]', text))


def expressions():
    """(where, PromQL) of every rule and every dashboard query."""
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    out = [("rule " + r["alert"], r["expr"]) for g in rules["groups"] for r in g["rules"]]
    with open(DASHBOARD) as f:
        dash = json.load(f)

    def walk(node, where):
        if isinstance(node, dict):
            title = node.get("title", where)
            for k, v in node.items():
                if k == "expr" and isinstance(v, str):
                    out.append(("panel " + title, v))
                elif k == "query" and isinstance(v, dict) and "query" in v:
                    out.append(("variable " + node.get("name", "?"), v["query"]))
                else:
                    walk(v, title)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)
    walk(dash, "dashboard")
    return out


def names_in(expr):
    """(metric names, label names, function names) an expression uses."""
    e = re.sub(r"\$\{?[a-zA-Z_]+\}?", "X", expr)      # Grafana variables
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)           # strings
    e = re.sub(r"\[[^\]]*\]", "", e)                    # ranges
    labels = set()
    m = re.match(r"\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", e)
    if m:  # Grafana's label_values(SERIES, LABEL)
        labels.add(m.group(2))
        e = "label_values(%s)" % m.group(1)
    for body in re.findall(r"\{([^}]*)\}", e):
        labels |= set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", body))
    e = re.sub(r"\{[^}]*\}", " ", e)
    for body in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        labels |= {x.strip() for x in body.split(",") if x.strip()}
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r" \1 ", e)
    e = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?\b", " ", e)
    functions = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*\(", e))
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e))
    functions = (functions - KEYWORDS) | (words & AGGREGATIONS)
    return words - functions - KEYWORDS, labels, functions


class Monitoring(unittest.TestCase):
    def setUp(self):
        self.families = stats_families()
        self.labels = stats_labels() | TARGET_LABELS
        self.exprs = expressions()

    def test_only_real_families_and_labels(self):
        self.assertGreater(len(self.exprs), 20)
        for where, expr in self.exprs:
            metrics, labels, functions = names_in(expr)
            self.assertTrue(metrics, "%s names no metric: %s" % (where, expr))
            for m in metrics:
                self.assertIn(m, set(self.families) | TARGET_SERIES,
                              "%s: %s is not exported by daemon/stats.c" % (where, m))
            for label in labels:
                self.assertIn(label, self.labels, "%s: no label %s" % (where, label))
            for fn in functions:
                self.assertIn(fn, FUNCTIONS, "%s: unknown function %s" % (where, fn))

    def test_rates_of_counters_only(self):
        for where, expr in self.exprs:
            for fn, name in re.findall(r"\b(rate|increase|irate)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)",
                                       expr):
                self.assertTrue(name.endswith("_total"), "%s: %s of gauge %s" % (where, fn, name))

    def test_rules_cover_every_loss(self):
        with open(RULES) as f:
            text = f.read()
        losses = [name for name, loss in self.families.items() if loss]
        self.assertGreater(len(losses), 10)
        for name in losses:
            self.assertIn(name, text, "no rule watches the loss counter %s" % name)
        self.assertIn('esatlsd_connection_ends_total{end="evicted"}', text)
        for name in ('esatlsd_verdicts_total{verdict="tls_failed"}', 'up{job="esatlsd"} == 0',
                     "esatlsd_listener_tls_handshake_failures_total",
                     "esatlsd_listener_tls_cert_refused_total"):
            self.assertIn(name, text)

    def test_rule_shape(self):
        with open(RULES) as f:
            rules = yaml.safe_load(f)
        seen = set()
        for group in rules["groups"]:
            for r in group["rules"]:
                self.assertNotIn(r["alert"], seen)
                seen.add(r["alert"])
                self.assertIn(r["labels"]["severity"], ("critical", "warning", "info"))
                self.assertTrue(r["annotations"]["summary"])
                self.assertEqual(set(r) - {"alert", "expr", "for", "labels", "annotations"},
                                 set())

    def test_dashboard_shape(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        titles = " ".join(p["title"] for p in dash["panels"])
        for want in ("Inbound verdicts", "Outbound verdicts", "appliance", "lost", "queue",
                     "TLS handshakes"):
            self.assertIn(want, titles)

    def test_promtool(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool not installed (Debian package prometheus)")
        proc = subprocess.run([promtool, "check", "rules", RULES], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
