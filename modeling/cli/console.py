"""What ``iqa train`` and ``iqa predict`` share: the CPU settings line and the progress display."""
import signal


def add_console_arguments(parser) -> None:
    parser.add_argument("--threads", type=int, help="torch CPU threads (default on CPU: 1, see docs/models.md)")
    parser.add_argument("--progress-every", type=float, default=30.0, metavar="SECONDS",
                        help="seconds between progress lines when the output is not a terminal (a log)")


def open_console(iqa, options: dict, stdout):
    """A Terminal on `stdout` (a rewritten progress line when interactive); on CPU it first applies the CPU
    defaults and says what it set."""
    console = iqa.Terminal(lambda text: stdout.write(text, ending=""), interactive=stdout.isatty(),
                           every=options["progress_every"])
    if options["threads"] is not None and options["threads"] < 1:
        raise iqa.IqaError(f"--threads {options['threads']}: give a positive number of threads")
    if options["device"] == "cpu":
        console.log(iqa.apply_cpu_defaults(threads=options["threads"]))
    return console


def exit_status(reason: str) -> int:
    """128 + the signal's number, as a shell reports a process a signal ended (1 for a cancel)."""
    return 128 + signal.Signals[reason].value if reason in signal.Signals.__members__ else 1
