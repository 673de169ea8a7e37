"""The command line as an admin meets it: GNU long options beside the short ones, the default
configuration path shown by --help and required unless -c or --defaults says otherwise,
start-up failures logged at error level with "fatal:", and the system checks of -t (the user
exists, output and state file directories exist and are writable by that user)."""

import os
import pwd
import re
import socket

from harness import JOURNAL_WRAPPER, FilesTest, config, free_port, main

class Cli(FilesTest):
    def default_path(self):
        m = re.search(r"default (/\S+\.yaml)", self.run_binary(["--help"]).stdout)
        self.assertIsNotNone(m)
        return m.group(1)

    def test_help_and_version_long_and_short(self):
        # --help and -h print the same usage on standard output (with the default file), exit
        # 0; --version and -V print "esatlsd X.Y.Z".
        long_help, short_help = self.run_binary(["--help"]), self.run_binary(["-h"])
        self.assertEqual((long_help.returncode, long_help.stderr), (0, ""))
        self.assertEqual(long_help.stdout, short_help.stdout)
        for option in ("--config", "--defaults", "--check", "--replay", "--version"):
            self.assertIn(option, long_help.stdout)
        self.assertTrue(self.default_path().endswith("/esatlsd/esatlsd.yaml"))
        for args in (["--version"], ["-V"]):
            proc = self.run_binary(args)
            self.assertEqual(proc.returncode, 0)
            self.assertRegex(proc.stdout, r"^esatlsd \d+\.\d+\.\d+\n$")
        self.assertEqual(self.run_binary(["--no-such-option"]).returncode, 2)

    def test_missing_default_config_is_an_error(self):
        # No -c and no default file: the daemon and -t stop at once with exit 2, a fatal line
        # naming the file and the ways out (-c, --defaults), and nothing bound.
        if os.path.exists(self.default_path()):
            self.skipTest("%s exists here" % self.default_path())
        for args in ([], ["-t"]):
            proc = self.run_binary(args, timeout=10)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("esatlsd: fatal: %s: No such file or directory" % self.default_path(),
                          proc.stderr)
            self.assertIn("-c FILE", proc.stderr)
            self.assertIn("--defaults", proc.stderr)

    def test_defaults_option(self):
        # --defaults is the built-in configuration; with -c it is a usage error.
        proc = self.run_binary(["-t", "--defaults"])
        self.assertEqual((proc.returncode, proc.stdout),
                         (0, "built-in defaults: configuration valid\n"), proc.stderr)
        path = self.write("c.yaml", "")
        self.assertEqual(self.run_binary(["-t", "--defaults", "-c", path]).returncode, 2)

    def test_long_options_run_the_daemon_and_replay(self):
        # --config, --check, --replay, --host and --output do what -c, -t, -r, -H, -o do.
        path = self.write("c.yaml", config(free_port(), os.path.join(self.tmp.name, "v.jsonl")))
        proc = self.run_binary(["--check", "--config", path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = os.path.join(self.tmp.name, "out.jsonl")
        seed = os.path.join(os.environ.get("ESATLSD_TEST_DATA", ""), "seed.log")
        proc = self.run_binary(["--host", "esa9", "--replay", seed, "--output", out])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out) as f:
            self.assertEqual(f.read().count('"host":"esa9"'), 4)

    def test_startup_failure_is_fatal_at_error_level(self):
        # An address in use: the last line is "fatal: could not start: ..." naming the
        # listener, at priority 3 when stderr is the journal; exit 1.
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
            busy.bind(("127.0.0.1", port))
            listen = '  - { proto: udp, address: "127.0.0.1:%d" }\n' % port
            for prefix, start in (([], "esatlsd: fatal: "), (JOURNAL_WRAPPER, "<3>fatal: ")):
                d = self.spawn(config(port, "@DIR@/v.jsonl", listen=listen), start=False,
                               prefix=prefix)
                d.start(wait_ready=False)
                self.assertEqual(d.wait_exit(), 1)
                self.assertEqual(d.stderr_lines[-1],
                                 "%scould not start: cannot listen on udp 127.0.0.1:%d"
                                 % (start, port))

    def test_invalid_config_at_start_is_logged_at_error_level(self):
        # The daemon (not -t) on a broken file: each problem at priority 3, then a fatal line.
        d = self.spawn("max_message_size: 1GiB\n", start=False, prefix=JOURNAL_WRAPPER)
        d.start(wait_ready=False)
        self.assertEqual(d.wait_exit(), 2)
        self.assertTrue(d.stderr_lines[0].startswith("<3>%s:1:19: " % d.config_path),
                        d.stderr())
        self.assertEqual(d.stderr_lines[-1], "<3>fatal: %s: configuration not valid"
                         % d.config_path)

    def check_t(self, text, expected):
        """-t on text: exit 2, the expected problems, nothing on standard output."""
        path = self.write("t.yaml", text)
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual((proc.returncode, proc.stdout), (2, ""), proc.stderr)
        for line in expected:
            self.assertIn("%s: %s" % (path, line), proc.stderr)
        self.assertEqual(proc.stderr.splitlines()[-1], "%s: configuration not valid" % path)

    def test_check_unknown_user(self):
        # user: names nobody on this system.
        self.check_t("user: no-such-user-esatlsd\n",
                     ["user no-such-user-esatlsd: no such user"])

    def test_check_output_directory_missing(self):
        # An output and the state file in directories that do not exist.
        missing = os.path.join(self.tmp.name, "missing")
        self.check_t('outputs:\n  - { file: "%s/v.jsonl" }\ntracking: { state_file: "%s/s" }\n'
                     % (missing, missing),
                     ["output %s/v.jsonl: directory %s does not exist" % (missing, missing),
                      "state file %s/s: directory %s does not exist" % (missing, missing)])

    def test_check_output_directory_not_writable_by_user(self):
        # user: nobody, and an output directory only its owner may write, or one open to
        # everyone below a directory nobody cannot pass: refused; both open, or an existing
        # file nobody may append to, passes.
        nobody = pwd.getpwnam("nobody")
        if os.geteuid() == nobody.pw_uid:
            self.skipTest("running as nobody")
        out = os.path.join(self.tmp.name, "out")
        os.mkdir(out, 0o755)
        os.chmod(out, 0o755)
        text = 'user: nobody\noutputs:\n  - { file: "%s/v.jsonl" }\n' % out
        self.check_t(text, ["output %s/v.jsonl: directory %s is not writable by user nobody"
                            % (out, out)])
        os.chmod(out, 0o777)
        os.chmod(self.tmp.name, 0o700)  # a directory above it nobody may not pass
        self.check_t(text, ["output %s/v.jsonl: directory %s is not writable by user nobody"
                            % (out, out)])
        path = self.write("ok.yaml", text)
        os.chmod(self.tmp.name, 0o755)
        proc = self.run_binary(["-t", "-c", path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        os.chmod(out, 0o755)
        with open(os.path.join(out, "v.jsonl"), "w"):
            pass
        os.chmod(os.path.join(out, "v.jsonl"), 0o666)
        self.assertEqual(self.run_binary(["-t", "-c", path]).returncode, 0)


if __name__ == "__main__":
    main()
