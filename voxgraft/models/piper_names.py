"""Piper's (original VITS's) parameter names -> transformers' VitsModel names.

The same renaming transformers' original-VITS conversion does, written as ordered rules, plus
the flows' indexing: Piper counts its Flip layers as flows, VitsModel does not (Piper's prior
flows 0, 2, 4, 6 are VitsModel's 0-3; the duration predictor's flows 1, 3, 5, 7 are 1-4).
Used both ways: import renames Piper -> VitsModel, export the reverse (`piper_name`).
"""

from __future__ import annotations

import re

_TEXT_ENCODER = [
    (r"^enc_p\.emb\.weight$", "text_encoder.embed_tokens.weight"),
    (r"^enc_p\.proj\.", "text_encoder.project."),
    (r"^enc_p\.encoder\.attn_layers\.(\d+)\.conv_([qkv])\.", r"text_encoder.encoder.layers.\1.attention.\2_proj."),
    (r"^enc_p\.encoder\.attn_layers\.(\d+)\.conv_o\.", r"text_encoder.encoder.layers.\1.attention.out_proj."),
    (r"^enc_p\.encoder\.attn_layers\.(\d+)\.emb_rel_([kv])$", r"text_encoder.encoder.layers.\1.attention.emb_rel_\2"),
    (r"^enc_p\.encoder\.norm_layers_1\.(\d+)\.", r"text_encoder.encoder.layers.\1.layer_norm."),
    (r"^enc_p\.encoder\.norm_layers_2\.(\d+)\.", r"text_encoder.encoder.layers.\1.final_layer_norm."),
    (r"^enc_p\.encoder\.ffn_layers\.(\d+)\.", r"text_encoder.encoder.layers.\1.feed_forward."),
]
_POSTERIOR = [
    (r"^enc_q\.pre\.", "posterior_encoder.conv_pre."),
    (r"^enc_q\.proj\.", "posterior_encoder.conv_proj."),
    (r"^enc_q\.enc\.", "posterior_encoder.wavenet."),
]
_WAVENET = [(r"\.enc\.(in_layers|res_skip_layers|cond_layer)", r".wavenet.\1")]
_DEPTH_SEPARABLE = [
    (r"convs\.convs_sep\.", "conv_dds.convs_dilated."),
    (r"convs\.convs_1x1\.", "conv_dds.convs_pointwise."),
    (r"convs\.norms_([12])\.", r"conv_dds.norms_\1."),
]
_OTHER = [
    (r"^dec\.ups\.", "decoder.upsampler."),
    (r"^dec\.", "decoder."),
    (r"^emb_g\.", "embed_speaker."),
    (r"^dp\.flows\.0\.m$", "duration_predictor.flows.0.translate"),
    (r"^dp\.flows\.0\.logs$", "duration_predictor.flows.0.log_scale"),
    (r"^dp\.post_flows\.0\.m$", "duration_predictor.post_flows.0.translate"),
    (r"^dp\.post_flows\.0\.logs$", "duration_predictor.post_flows.0.log_scale"),
    (r"^dp\.(post_)?(pre|proj)\.", r"duration_predictor.\1conv_\2."),
    (r"^dp\.(post_)?convs\.", r"duration_predictor.\1convs."),
    (r"\.(pre|proj|post)\.", r".conv_\1."),
    (r"^dp\.", "duration_predictor."),
    (r"\.gamma$", ".weight"),
    (r"\.beta$", ".bias"),
]


def _renumber(name: str) -> str:
    name = re.sub(r"^flow\.flows\.(\d+)\.", lambda m: f"flow.flows.{int(m.group(1)) // 2}.", name)
    return re.sub(r"^dp\.(post_)?flows\.(\d+)\.", lambda m: f"dp.{m.group(1) or ''}flows.{(int(m.group(2)) + 1) // 2}.", name)


def hf_name(piper: str) -> str:
    name = _renumber(piper)
    for pattern, repl in _TEXT_ENCODER + _POSTERIOR + _WAVENET + _OTHER:
        name = re.sub(pattern, repl, name)
    for pattern, repl in _DEPTH_SEPARABLE:
        name = re.sub(pattern, repl, name)
    return name
