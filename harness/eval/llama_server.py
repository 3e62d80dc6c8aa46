"""``python -m harness.eval.llama_server ARGS``: llama-cpp-python's server, safe on every x86-64.

The same command line as ``python -m llama_cpp.server``, with llama.cpp's extra buffer types
switched off in the model parameters (``use_extra_bufts = False``) before any model loads.
Those buffer types hold repacked weights, and on CPUs with AMX they route matrix products
through ``ggml_backend_amx_mul_mat``, which crashes (SIGSEGV on the first decode, llama.cpp
issue #20824) in a natively built llama-cpp-python 0.3.36. Off everywhere, not only on AMX
CPUs, so that a cassette recorded on one machine took the same arithmetic as on any other.

``llama_cpp.Llama`` builds its model parameters from ``llama_model_default_params()`` looked
up on the ``llama_cpp.llama_cpp`` module at call time, so wrapping that function there is
enough; the server itself is unchanged.
"""

from __future__ import annotations

from typing import Any


def disable_extra_buffer_types() -> None:
    """Make every model this process loads use no extra buffer types."""
    import llama_cpp.llama_cpp as bindings

    defaults = bindings.llama_model_default_params
    if getattr(defaults, "harness_no_extra_bufts", False):
        return

    def without_extra_buffer_types() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    without_extra_buffer_types.harness_no_extra_bufts = True  # type: ignore[attr-defined]
    bindings.llama_model_default_params = without_extra_buffer_types


def main() -> None:
    """Run llama-cpp-python's server with extra buffer types disabled."""
    disable_extra_buffer_types()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
