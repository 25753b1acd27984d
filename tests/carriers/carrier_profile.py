"""The models the carriers tests route through LiteLLM, at sizes small enough for ten renders at once.

A module of its own so that a child process (the resume test) can build the same profile.
"""

from __future__ import annotations

from sora_widgets.profiles import BackendProfile, ModelSpec

CARRIER_PROFILE = BackendProfile(
    name="carriers-tiny",
    models=(
        ModelSpec("sora-2", ("160x90", "96x64"), ("1", "2"), {"*": 0.01}),
        ModelSpec("sora-2-pro", ("160x90", "96x64"), ("1", "2"), {"*": 0.03}),
    ),
    description="tests/carriers: Sora's model names at tiny sizes, behind a LiteLLM proxy",
)
