"""The report's style-space section, for sweeps on a recipient with a style VAE.

In the recipient's own style latent: the untouched recipient's and the donor's references
(references/recipient, references/donor) and each top transplant's samples, projected to 2-D
(principal components), with the silhouette of recipient against donor; and the trials'
style_silhouette per VAE size when the sweep varied it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from voxgraft.evaluate.style import silhouette
from voxgraft.layout import REFERENCES_DIR
from voxgraft.search_spaces.spec import read_spec
from voxgraft.style.space import projection_2d


@dataclass
class StyleSpace:
    points: pd.DataFrame  # label, x, y
    explained: np.ndarray  # variance share of the two axes
    silhouette: float  # recipient references against donor references
    by_size: pd.DataFrame | None  # vae_latent, trials, mean style_silhouette, mean style_kl


def styled_recipient(sweep_dir: Path) -> Path | None:
    """The sweep's recipient when it carries a style VAE (read from its config only)."""
    try:
        recipient = Path(read_spec(sweep_dir).context["recipient"])
        config = json.loads((recipient / "config.json").read_text())
    except (OSError, ValueError, KeyError):  # SpecError is a ValueError
        return None
    return recipient if config.get("style_latent_size") else None


def style_space(sweep_dir: Path, trials: pd.DataFrame, top_samples: list[tuple[str, Path | None]]) -> StyleSpace | None:
    """None unless the recipient is styled and its references exist."""
    recipient = styled_recipient(sweep_dir)
    references = sweep_dir / REFERENCES_DIR
    if recipient is None or not any(references.glob("donor/*.wav")):
        return None
    from voxgraft.data.audio import load_audio
    from voxgraft.models.checkpoints import load_recipient
    from voxgraft.models.style_latents import wav_latents

    model = load_recipient(recipient).model.eval()
    groups = [("recipient", sorted(references.glob("recipient/*.wav"))), ("donor", sorted(references.glob("donor/*.wav")))]
    groups += [(label, sorted(d.glob("*.wav"))) for label, d in top_samples if d is not None]
    labels, latents = [], []
    for label, paths in groups:
        if paths:
            latents.append(wav_latents(model, [load_audio(p, model.config.sampling_rate) for p in paths]))
            labels += [label] * len(paths)
    latents = np.concatenate(latents)
    coords, explained = projection_2d(latents)
    ends = np.isin(labels, ["recipient", "donor"])
    by_size = None
    if trials["vae_latent"].notna().any():
        by_size = (
            trials.dropna(subset=["vae_latent"]).groupby("vae_latent")
            .agg(trials=("trial_id", "size"), style_silhouette=("style_silhouette", "mean"), style_kl=("style_kl", "mean"))
            .reset_index()
        )
    return StyleSpace(
        pd.DataFrame({"label": labels, "x": coords[:, 0], "y": coords[:, 1]}),
        explained,
        silhouette(latents[ends], np.asarray(labels)[ends]),
        by_size,
    )
