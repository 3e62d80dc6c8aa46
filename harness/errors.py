"""The harness's exceptions and exit codes: one base, one mapping to exit codes.

Every exception class of the package derives from :class:`HarnessError`, through one of the
three kinds below. A command never lists exception classes: it runs its body inside
:func:`command_errors`, which turns any :class:`HarnessError` into its one-line message and
:data:`HARNESS_ERROR`; a failed check (lint errors, the gate, a breaking diff, secrets found)
exits :data:`CHECK_FAILED`.

```
HarnessError
├── InputError (ValueError)          bad input or configuration; the message names the file,
│   │                                line, key or JSON pointer
│   ├── DocumentError                a JSON/YAML document that cannot be read (contract.jsondoc)
│   ├── SpecError                    an invalid spec or manifest (contract.load)
│   ├── LintConfigError              [tool.harness.lint] (contract.lint)
│   ├── SubmissionConfigError        [tool.harness.submission] (submission_config)
│   ├── BudgetConfigError            budgets of x-budget / [tool.harness.budgets] (budgets)
│   ├── SettingsError                a proxy configuration it refuses (proxy.settings)
│   ├── SuiteError                   a prompt suite (eval.suite)
│   ├── MatcherError                 an argument matcher of a case (eval.matchers)
│   ├── ShardError                   --shard I/N (eval.shard)
│   ├── CassetteError                a cassette that cannot be parsed (cassettes.scan)
│   ├── PackError                    a reviewer pack that cannot be built (submission.pack)
│   ├── AffectedError                --affected-by REF cannot be read (eval.affected)
│   ├── RunError                     a run that cannot start or continue (eval.config)
│   ├── ResultsError                 a results file or line that is not a record (results)
│   └── ReportError                  a run directory or report input (report.load)
│       └── ConfigError              [tool.harness.gate] / [tool.harness.pricing] (report.config)
├── ExecutionError (RuntimeError)    a run cannot go on: something it talks to failed
│   ├── BackendError                 the model backend (eval.backends)
│   ├── LocalModelUnavailable        the local model server (eval.local_server)
│   ├── McpSurfaceError              the MCP server eval reads tools from (eval.mcp_surface)
│   ├── ModelError                   a local model missing, or its fetch failed (models.catalog)
│   ├── StaleCassetteError           no recording and recording is off (cassettes.transport)
│   ├── _NotRun                      a case that cannot run; becomes its result (eval.runner)
│   ├── TransportError               no usable upstream answer (proxy.transports); the
│   │   │                            upstream client turns it into an UpstreamFailure
│   │   ├── ConnectFailed
│   │   ├── ExchangeFailed
│   │   └── MalformedResponse
│   └── PortUnavailable (OSError)    `harness serve` cannot bind (proxy.server)
├── UnknownToolError (KeyError)      a tool call names no operation (contract.tools); its caller
│                                    scores or answers it
└── HttpError                        becomes an HTTP error response where it is raised; it
    │                                never reaches a command
    ├── ProxyError                   the proxy's JSON error (proxy.errors)
    │   └── UpstreamFailure          the upstream failed (proxy.upstream)
    ├── ProjectionError (ValueError) an upstream body the spec cannot shape (proxy.projection)
    ├── ConversionError (ValueError) a parameter that does not convert (proxy.validation)
    └── MockError                    the mock upstream's PodcastAPI error (mock.errors)
        ├── BadParameter
        └── NotFound
```
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

OK = 0
"""The command did what was asked and every check passed."""
CHECK_FAILED = 1
"""The check failed: lint errors, the gate, a breaking diff, secrets found, fuzz failures."""
HARNESS_ERROR = 2
"""The harness could not do its job: bad configuration or input, or a run that cannot go on."""


class HarnessError(Exception):
    """Base of every exception the harness raises; a command exits :data:`HARNESS_ERROR`."""

    exit_code = HARNESS_ERROR


class InputError(HarnessError, ValueError):
    """Bad input or configuration; the message names the file, line, key or JSON pointer."""


class ExecutionError(HarnessError, RuntimeError):
    """A run cannot go on because something it talks to failed (a model, a server, a port)."""


class HttpError(HarnessError):
    """Turned into an HTTP error response by the server that raises it (proxy or mock)."""


def exit_code_of(error: BaseException) -> int:
    """The exit code a command ends with when ``error`` reaches it (the one mapping)."""
    if isinstance(error, HarnessError):
        return error.exit_code
    if isinstance(error, click.ClickException):
        return error.exit_code
    raise error


@contextlib.contextmanager
def command_errors(*, as_usage: bool = False, prefix: str = "error: ") -> Iterator[None]:
    """Run a command's body: a :class:`HarnessError` ends it with its message and exit code.

    The message is one line on stderr (``prefix`` then the error), or with ``as_usage`` a
    click usage error (the command's usage line, then ``Error: ``), as the command's help
    documents.
    """
    try:
        yield
    except HarnessError as error:
        if as_usage:
            raise click.UsageError(str(error)) from error
        click.echo(f"{prefix}{error}", err=True)
        raise SystemExit(exit_code_of(error)) from None
