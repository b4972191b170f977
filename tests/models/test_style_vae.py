"""The style VAE organ: its posterior, its place in the model, its gradient paths and its files."""

import pytest
import torch

from voxgraft.data.features import FeatureParams
from voxgraft.data.symbols import SymbolTable
from voxgraft.data.training_set import open_training_set
from voxgraft.models.checkpoints import STYLE_LATENT_KEY, load_recipient, merged_model, save_transplant
from voxgraft.models.configs import named_config
from voxgraft.models.discriminator import DiscriminatorConfig, VitsDiscriminator
from voxgraft.models.organs import FreezePlan, apply_freeze_plan
from voxgraft.models.style_vae import StyleVAE
from voxgraft.models.styled_vits import StyledVitsModel, StyleError, add_style_to_config, anneal_weight, graft_style
from voxgraft.training.plan import naive_plan, plan_step
from voxgraft.training.step import StepCache, generator_losses, weighted_total

N_MELS = FeatureParams().n_mels


@pytest.fixture(scope="module")
def training_set(corpora):
    return open_training_set(corpora["recipient"], "forced", heldout=4)


def styled_model(vocab: int, latent: int = 8) -> StyledVitsModel:
    torch.manual_seed(0)
    model = StyledVitsModel(add_style_to_config(named_config("tiny", vocab), latent, 32))
    with torch.no_grad():  # away from initialisation, where zeroed layers hide gradients
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return model


def test_posterior_ignores_padding_and_kl_is_zero_at_the_prior():
    vae = StyleVAE(N_MELS, 8, 16).eval()
    mel = torch.randn(1, N_MELS, 50)
    padded = torch.cat([mel, torch.randn(1, N_MELS, 30) * 10], dim=-1)
    mask = torch.zeros(1, 80, dtype=torch.bool)
    mask[:, :50] = True
    short = vae(mel, torch.ones(1, 50, dtype=torch.bool))
    long = vae(padded, mask)
    assert torch.allclose(short.means, long.means, atol=1e-5) and short.conditioning.shape == (1, 16, 1)
    out = vae(mel, torch.ones(1, 50, dtype=torch.bool))
    out.means, out.log_var = torch.zeros(2, 8), torch.zeros(2, 8)
    assert float(out.kl()) == 0.0
    out.means = torch.ones(2, 8)
    assert float(out.kl()) == pytest.approx(4.0)  # 0.5 * 1^2 per dimension


def test_training_mode_samples_and_eval_mode_takes_the_mean():
    vae = StyleVAE(N_MELS, 8, 16)
    mel, mask = torch.randn(2, N_MELS, 40), torch.ones(2, 40, dtype=torch.bool)
    a = vae.train()(mel, mask, torch.Generator().manual_seed(1))
    b = vae(mel, mask, torch.Generator().manual_seed(1))
    assert torch.equal(a.latent, b.latent) and not torch.equal(a.latent, a.means)
    assert torch.equal(vae.eval()(mel, mask).latent, a.means)


def test_the_kl_weight_rises_to_beta():
    model = styled_model(40)
    assert anneal_weight(model, 0) == 0.0
    assert anneal_weight(model, 100) == pytest.approx(model.config.style_beta / 2)
    assert anneal_weight(model, 10_000, beta=0.5) == 0.5


def test_a_styled_model_round_trips_and_an_unstyled_one_cannot_be_grafted(tmp_path):
    model = styled_model(40)
    model.style.default_latent.fill_(0.25)
    model.save_pretrained(str(tmp_path / "m"))
    loaded = load_recipient(tmp_path / "m").model
    assert loaded.style.latent_size == 8 and all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values())
    )
    plain = StyledVitsModel(named_config("tiny", 40))
    assert plain.style is None
    with pytest.raises(StyleError, match="no global conditioning"):
        graft_style(plain, 8)
    graft_style(model, 4)
    assert model.style.latent_size == 4 and model.config.style_latent_size == 4


def test_every_transplant_of_a_styled_model_carries_its_latent(tmp_path):
    symbols = SymbolTable.default()
    model = styled_model(len(symbols))
    model.save_pretrained(str(tmp_path / "recipient"))
    symbols.save(tmp_path / "recipient")
    sha = load_recipient(tmp_path / "recipient").sha256
    model.style.default_latent.fill_(0.5)  # the donor's centroid, say; the style VAE itself stayed frozen
    save_transplant(tmp_path / "t", model, FreezePlan.for_model("cadence", model), sha, symbols)
    merged, _ = merged_model(tmp_path / "t", tmp_path / "recipient")
    assert torch.all(merged.state_dict()[STYLE_LATENT_KEY] == 0.5)


@pytest.mark.parametrize("alignment", ["forced", "learned"])
@pytest.mark.parametrize("organs", [("style",), ("style", "decoder"), ("flow",), ("cadence",)], ids=str)
def test_planned_gradients_of_a_styled_model_equal_the_naive_full_step(training_set, organs, alignment):
    model = styled_model(len(training_set.symbols))
    batch = training_set.heldout_batch()
    discriminator = VitsDiscriminator(DiscriminatorConfig(channel_divisor=8))
    freeze = FreezePlan.for_model(organs, model)
    params = apply_freeze_plan(model, freeze)
    weights = {"style_kl": 0.1}
    grads = []
    for plan in (naive_plan(freeze.trainable, alignment), plan_step(freeze.trainable, alignment)):
        model.zero_grad(set_to_none=True)
        losses = generator_losses(model, discriminator, batch, plan, seed=5, segment_frames=16, cache=StepCache())
        weighted_total(losses, weights).backward()
        grads.append([p.grad.clone() for p in params])
    assert ("style_kl" in plan.losses) == ("style" in organs)
    for a, b in zip(*grads):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-7)
    style_grads = [p.grad for p in model.style.parameters() if p.grad is not None]
    assert bool(style_grads) == ("style" in organs)
