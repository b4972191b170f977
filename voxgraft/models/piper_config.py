"""The VitsConfig of a Piper voice, read from its tensors' shapes and its graph's convolutions.

Sizes come from the weights, not from the quality string, so every tier (x_low, low, medium,
high) converts: the decoder's upsampling (strides from the graph), its residual-block type
(one or two convolutions per dilation) and dilations (from the graph), the text encoder's
layers, heads and attention window, and the duration predictor's kind and flows. What an
inference export cannot show (the posterior encoder's depth) is Piper's training default.
"""

from __future__ import annotations

import re

from transformers import VitsConfig

from voxgraft.models.piper_onnx import PiperFileError, PiperGraph

POSTERIOR_WAVENET_LAYERS = 16  # Piper trains enc_q with 16 WaveNet layers at every quality
POSTERIOR_KERNEL = 5


def _count(tensors: dict, pattern: str) -> int:
    found = {m.group(1) for name in tensors if (m := re.match(pattern, name))}
    return len(found)


def _decoder_sizes(graph: PiperGraph) -> dict:
    t, attrs = graph.tensors, graph.conv_attributes
    ups = _count(t, r"dec\.ups\.(\d+)\.weight")
    blocks = _count(t, r"dec\.resblocks\.(\d+)\.")
    if not ups or blocks % ups:
        raise PiperFileError(f"decoder has {ups} upsampling layers and {blocks} residual blocks: not a HiFi-GAN layout")
    per_up = blocks // ups
    two_convs = "dec.resblocks.0.convs1.0.weight" in t
    kind, conv = ("1", "convs1") if two_convs else ("2", "convs")
    kernels, dilations = [], []
    for b in range(per_up):
        n = _count(t, rf"dec\.resblocks\.{b}\.{conv}\.(\d+)\.weight")
        kernels.append(int(t[f"dec.resblocks.{b}.{conv}.0.weight"].shape[2]))
        dilations.append([attrs.get(f"dec.resblocks.{b}.{conv}.{i}", {}).get("dilations", [1])[0] for i in range(n)])
    return {
        "upsample_initial_channel": int(t["dec.conv_pre.weight"].shape[0]),
        "upsample_rates": [attrs[f"dec.ups.{i}"]["strides"][0] for i in range(ups)],
        "upsample_kernel_sizes": [int(t[f"dec.ups.{i}.weight"].shape[2]) for i in range(ups)],
        "resblock_kernel_sizes": kernels,
        "resblock_dilation_sizes": dilations,
        "resblock_type": kind,
    }


def _text_encoder_sizes(t: dict) -> dict:
    hidden = int(t["enc_p.emb.weight"].shape[1])
    rel = t["enc_p.encoder.attn_layers.0.emb_rel_k"].shape  # (1 shared head, 2 * window + 1, hidden / heads)
    return {
        "vocab_size": int(t["enc_p.emb.weight"].shape[0]),
        "hidden_size": hidden,
        "num_hidden_layers": _count(t, r"enc_p\.encoder\.attn_layers\.(\d+)\."),
        "num_attention_heads": hidden // int(rel[2]),
        "window_size": (int(rel[1]) - 1) // 2,
        "ffn_dim": int(t["enc_p.encoder.ffn_layers.0.conv_1.weight"].shape[0]),
        "ffn_kernel_size": int(t["enc_p.encoder.ffn_layers.0.conv_1.weight"].shape[2]),
        "flow_size": int(t["enc_p.proj.weight"].shape[0]) // 2,
    }


def _duration_sizes(t: dict) -> dict:
    if "dp.flows.0.m" not in t:  # Piper's deterministic predictor (use_sdp false)
        return {
            "use_stochastic_duration_prediction": False,
            "duration_predictor_filter_channels": int(t["dp.conv_1.weight"].shape[0]),
            "duration_predictor_kernel_size": int(t["dp.conv_1.weight"].shape[2]),
        }
    # the export drops the convolutional flow that inference skips (dp.flows.1)
    conv_flows = _count(t, r"dp\.flows\.(\d+)\.pre\.weight") + 1
    return {
        "use_stochastic_duration_prediction": True,
        "duration_predictor_filter_channels": int(t["dp.pre.weight"].shape[0]),
        "duration_predictor_kernel_size": int(t["dp.convs.convs_sep.0.weight"].shape[2]),
        "depth_separable_num_layers": _count(t, r"dp\.convs\.convs_sep\.(\d+)\."),
        "depth_separable_channels": int(t["dp.flows.0.m"].shape[0]),
        "duration_predictor_flow_bins": (int(t["dp.flows.3.proj.weight"].shape[0]) + 1) // 3,
        "duration_predictor_num_flows": conv_flows,
    }


def _flow_sizes(graph: PiperGraph) -> dict:
    t = graph.tensors
    return {
        "prior_encoder_num_flows": _count(t, r"flow\.flows\.(\d+)\.pre\.weight"),
        "prior_encoder_num_wavenet_layers": _count(t, r"flow\.flows\.0\.enc\.in_layers\.(\d+)\.weight"),
        "wavenet_kernel_size": int(t["flow.flows.0.enc.in_layers.0.weight"].shape[2]),
        "wavenet_dilation_rate": graph.conv_attributes.get("flow.flows.0.enc.in_layers.1", {}).get("dilations", [1])[0],
    }


def vits_config(graph: PiperGraph, piper: dict) -> VitsConfig:
    """The VitsConfig for `graph`, with the voice's sample rate and inference defaults."""
    t = graph.tensors
    try:
        sizes = {**_text_encoder_sizes(t), **_decoder_sizes(graph), **_duration_sizes(t), **_flow_sizes(graph)}
    except (KeyError, IndexError) as exc:
        raise PiperFileError(f"not a Piper VITS voice: no tensor {exc}") from None
    speakers = int(t["emb_g.weight"].shape[0]) if "emb_g.weight" in t else 1
    inference = piper.get("inference", {})
    return VitsConfig(
        **sizes,
        num_speakers=speakers,
        speaker_embedding_size=int(t["emb_g.weight"].shape[1]) if speakers > 1 else 0,
        spectrogram_bins=513,  # Piper's filter_length 1024 at every quality
        posterior_encoder_num_wavenet_layers=POSTERIOR_WAVENET_LAYERS,
        sampling_rate=int(piper["audio"]["sample_rate"]),
        noise_scale=float(inference.get("noise_scale", 0.667)),
        noise_scale_duration=float(inference.get("noise_w", 0.8)),
        speaking_rate=1.0 / float(inference.get("length_scale", 1.0)),
    )
