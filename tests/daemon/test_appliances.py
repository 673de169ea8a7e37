"""Per-appliance counters on /metrics: messages from two hosts and from a sender without a
host name are counted apart, each with the time of its latest message and its lines recognised
as ESA mail_logs or not."""

import time
import urllib.request

from harness import DaemonTest, config, free_port, main, send_udp, wait_until


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def sample(text, name, host, kind=None):
    prefix = '%s{host="%s"} ' % (name, host) if kind is None else \
        '%s{host="%s",kind="%s"} ' % (name, host, kind)
    for line in text.splitlines():
        if line.startswith(prefix):
            return int(line[len(prefix):])
    return None


class Appliances(DaemonTest):
    def test_messages_and_last_seen_by_appliance(self):
        port, mport = free_port(), free_port()
        d = self.start(config(port, "@DIR@/v.jsonl",
                              extra='metrics: { address: "127.0.0.1:%d" }\n' % mport))
        before = int(time.time())
        send_udp(port, ["<22>Nov 28 12:00:00 esa1 mail_logs: Info: ICID %d close" % i
                        for i in range(3)])
        send_udp(port, ["<22>Nov 28 12:00:00 esa2 mail_logs: Info: ICID 1 close",
                        "<22>Nov 28 12:00:00 esa2 antispam: Info: case: MID 5 spam negative"])
        send_udp(port, ["<166>Nov 28 12:00:00 mail_logs: Info: ICID 9 close"], source="127.0.0.3")
        text = wait_until(lambda: sample(scrape(mport), "esatlsd_appliance_messages_total",
                                         "127.0.0.3") == 1 and scrape(mport))
        self.assertTrue(text, d.stderr())
        self.assertEqual(sample(text, "esatlsd_appliance_messages_total", "esa1"), 3)
        self.assertEqual(sample(text, "esatlsd_appliance_messages_total", "esa2"), 2)
        # Recognised and unclassified lines apart, per appliance.
        lines = "esatlsd_appliance_lines_total"
        self.assertEqual(sample(text, lines, "esa1", "recognised"), 3)
        self.assertEqual(sample(text, lines, "esa1", "unclassified"), 0)
        self.assertEqual(sample(text, lines, "esa2", "recognised"), 1)
        self.assertEqual(sample(text, lines, "esa2", "unclassified"), 1)
        seen = sample(text, "esatlsd_appliance_last_seen_seconds", "esa2")
        self.assertTrue(before <= seen <= int(time.time()) + 1, seen)
        self.assertIn("# TYPE esatlsd_appliance_last_seen_seconds gauge", text)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
