"""`harness mock`: serve the offline PodcastAPI v2 stand-in with uvicorn."""

from __future__ import annotations

import click

from harness.mock.faults import Faults


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--api-key",
    envvar="MOCK_LISTEN_API_KEY",
    default=None,
    help="Require this X-ListenAPI-Key on every request (env: MOCK_LISTEN_API_KEY).",
)
@click.option(
    "--fault-status",
    type=click.IntRange(400, 599),
    default=None,
    help="Answer faulted requests with this HTTP error status (429 adds Retry-After).",
)
@click.option(
    "--fault-probability",
    type=click.FloatRange(0.0, 1.0),
    default=1.0,
    show_default=True,
    help="Fraction of requests that get a fault.",
)
@click.option(
    "--fault-delay",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Seconds to sleep before answering a faulted request.",
)
@click.option("--fault-malformed-json", is_flag=True, help="Faulted requests get invalid JSON.")
@click.option("--fault-truncated-body", is_flag=True, help="Faulted requests get half the JSON.")
@click.option(
    "--retry-after",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Retry-After seconds sent with 429/503 faults.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of fault selection.")
def mock(
    host: str,
    port: int,
    api_key: str | None,
    fault_status: int | None,
    fault_probability: float,
    fault_delay: float,
    fault_malformed_json: bool,
    fault_truncated_body: bool,
    retry_after: int,
    seed: int,
) -> None:
    """Serve an offline PodcastAPI v2 mock at http://HOST:PORT/api/v2."""
    import uvicorn

    from harness.mock.app import create_mock_app

    faults = Faults(
        status=fault_status,
        probability=fault_probability,
        delay_s=fault_delay,
        malformed_json=fault_malformed_json,
        truncated_body=fault_truncated_body,
        retry_after=retry_after,
        seed=seed,
    )
    app = create_mock_app(api_key=api_key, faults=faults if faults.active else None)
    click.echo(f"PodcastAPI mock on http://{host}:{port}/api/v2", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
