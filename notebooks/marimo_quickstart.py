"""sora_widgets in marimo: the generator panel, a live card and the gallery.

Open it with ``marimo edit notebooks/marimo_quickstart.py`` (or ``marimo run`` for the app view). With no
``OPENAI_API_KEY`` set, everything runs against the local emulator: real MP4s, rendered on this machine, free.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    import sora_widgets as sw

    return mo, sw


@app.cell
def _(mo, sw):
    _info = sw.backend_info()
    mo.md(
        f"""
        # sora_widgets in marimo

        The same widgets as in Jupyter: marimo runs anywidget widgets natively. This notebook talks to
        **{_info["label"]}** (profile `{_info["profile"]}`); without `OPENAI_API_KEY` that is the local
        emulator, so nothing here costs money.

        ## The generator panel

        Write a prompt, pick a model, size and duration, and press **Generate**. Each job appears as a card
        that shows its progress live, then plays and scrubs (hover over the thumbnail).
        """
    )
    return


@app.cell
def _(mo, sw):
    panel = mo.ui.anywidget(
        sw.GeneratorPanel(prompt="A slow tracking shot of a lighthouse at dusk, waves crashing below")
    )
    panel
    return


@app.cell
def _(mo):
    mo.md("""
    ## A card for one job

    `sw.submit` starts a job and returns at once; `sw.VideoCard` shows it, live: queued, rendering, then a
    video to play, scrub, download or remix. (A remix started from a card alone is listed in the gallery
    below; its id is shown on the card.)
    """)
    return


@app.cell
def _(mo, sw):
    job = sw.submit("A paper boat drifting across a rain puddle, macro shot, soft morning light", seconds=4)
    card = mo.ui.anywidget(sw.VideoCard(job))
    card
    return (job,)


@app.cell
def _(job, mo):
    # Waits here (the card above keeps updating meanwhile): the gallery below opens with the finished video.
    done = job.wait(timeout=600)
    mo.md(
        f"`{done.id}` is **{done.status}**: {done.model} {done.size}, {done.seconds} s, "
        f"about ${done.cost_usd or 0:.2f}."
    )
    return (done,)


@app.cell
def _(mo):
    mo.md("""
    ## The gallery

    Everything in the journal, newest first: search the prompts, filter by status, hover to scrub, click
    to play.
    """)
    return


@app.cell
def _(done, mo, sw):
    assert done.status  # after the job above: the gallery opens with it
    gallery = mo.ui.anywidget(sw.Gallery())
    gallery
    return


if __name__ == "__main__":
    app.run()
