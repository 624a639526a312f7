"""Build fastws: compile the Cython twins when possible, else ship pure Python.

The compiled modules are optional. They are skipped, with one clear warning at
build time, when ``FASTWS_NO_EXTENSIONS`` is set to a non-empty value, when
Cython is missing, or when the C compiler fails. The installed package then
runs on its pure-Python twins, which behave identically.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

EXTENSIONS = [
    ("fastws._headers_c", "src/fastws/_headers_c.pyx"),
    ("fastws._json_c", "src/fastws/_json_c.pyx"),
    ("fastws._url_c", "src/fastws/_url_c.pyx"),
    ("fastws._sockets_c", "src/fastws/_sockets_c.pyx"),
    ("fastws._websocket_base_c", "src/fastws/_websocket_base_py.py"),  # one source, typed by _websocket_base_c.pxd
    ("fastws._next_event_c", "src/fastws/_next_event_c.pyx"),
    ("fastws._read_buffer_c", "src/fastws/_read_buffer_c.pyx"),
    ("fastws._app_run_c", "src/fastws/_app_run_c.pyx"),
    ("fastws._socket_transport_c", "src/fastws/_socket_transport_py.py"),  # one source, typed by its .pxd
    ("fastws._protocol_core_c", "src/fastws/_protocol_core_py.py"),  # one source, typed by _protocol_core_c.pxd
    # the frame rules: one source, typed by _frame_rules_c.pxd; _codec_c cimports it
    ("fastws.wire._frame_rules_c", "src/fastws/wire/_frame_rules.py"),
    ("fastws.wire._codec_c", "src/fastws/wire/_codec_c.pyx"),
    ("fastws.wire._handshake_c", "src/fastws/wire/_handshake_c.pyx"),
    ("fastws.broadcast._message_c", "src/fastws/broadcast/_message_py.py"),  # one source, typed by _message_c.pxd
    ("fastws.broadcast._targets_c", "src/fastws/broadcast/_targets_py.py"),  # one source, typed by _targets_c.pxd
]
# C headers a module includes: a change to one rebuilds it (the sdist ships them: MANIFEST.in)
DEPENDS = {"fastws.wire._codec_c": ["src/fastws/wire/_unmask.h"]}
NO_EXTENSIONS = bool(os.environ.get("FASTWS_NO_EXTENSIONS"))


def _warn(reason: str) -> None:
    bar = "*" * 72
    sys.stderr.write(
        f"\n{bar}\nWARNING: fastws is installed WITHOUT its compiled speedups:\n"
        f"  {reason}\nThe pure-Python twins are used; behaviour is identical, "
        f"speed is not.\n{bar}\n\n"
    )


class OptionalBuildExt(build_ext):
    """A build_ext that falls back to the pure package if compiling fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "pure"
            _warn(f"the C build failed ({exc.__class__.__name__}: {exc})")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            _warn(f"compiling {ext.name} failed ({exc.__class__.__name__}: {exc})")


def _forget_stale_c(source: str, newest_pxd: float) -> None:
    """Have Cython translate ``source`` again if a ``.pxd`` changed since its ``.c`` was made.

    Cython remakes a ``.c`` when its source, or a ``.pxd`` the source cimports,
    is newer; not for the ``.pxd`` that types a one-source module (named for the
    compiled module, ``_x_c.pxd``, not for the source, ``_x_py.py``), nor for
    what that ``.pxd`` cimports. A build from a clean tree is not concerned.
    """
    generated = os.path.splitext(source)[0] + ".c"
    if os.path.exists(generated) and os.path.getmtime(generated) < newest_pxd:
        os.remove(generated)


def _extensions() -> list:
    if NO_EXTENSIONS:
        _warn("FASTWS_NO_EXTENSIONS is set")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _warn("Cython is not available")
        return []
    # -g0: no debug symbols. -falign-loops=32: hot loops (unmasking, UTF-8, ASCII runs) start on a
    # 32-byte boundary, so their speed does not hinge on the code the compiler places before them
    # (without it, the codec's unmasking loop ran up to 40% slower or faster from build to build).
    flags = ["-O3", "-g0", "-falign-loops=32"] if os.name != "nt" else []
    modules = [
        Extension(name, [source], depends=DEPENDS.get(name, []), extra_compile_args=flags)
        for name, source in EXTENSIONS
    ]
    pxds = [os.path.join(root, name) for root, _, names in os.walk("src") for name in names if name.endswith(".pxd")]
    newest_pxd = max(map(os.path.getmtime, pxds), default=0.0)
    for _, source in EXTENSIONS:
        _forget_stale_c(source, newest_pxd)
    try:
        return cythonize(
            modules,
            compiler_directives={"language_level": "3", "embedsignature": True},
            quiet=True,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. an incompatible Cython
        _warn(f"Cython could not translate the extension ({exc.__class__.__name__}: {exc})")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
