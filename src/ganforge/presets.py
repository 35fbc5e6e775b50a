"""Named presets: each paper's published defaults as dotted config overrides, one entry per paper.

A preset sits between the built-in defaults and everything a user writes::

    built-in defaults  <  preset  <  --config file  <  command-line flags and --set

``resolve`` applies ``cfg.preset`` through ``apply``: a key the preset names takes the preset's value
unless the user set it explicitly. *Explicitly* means through ``apply_overrides`` (a config file, a flag,
``--set``, ``Config.from_dict``, a run's saved config.yaml), even to a value equal to the built-in default,
or, for a ``Config`` built in Python, a value that differs from the dataclass default. So
``--preset wgan --d-steps 1`` trains with one critic step, and a resumed run (whose config.yaml sets every
key) is never changed by its preset again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganforge.config import Config, apply_overrides
from ganforge.errors import check_choice


@dataclass(frozen=True)
class Preset:
    """A paper's defaults: who, when, what it changes, and the config keys it sets."""

    citation: str  # authors (year), title
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)


# what the presets sized for two CPU cores share: the `fast` preset's recipe (benchmarks/quality_per_second.py),
# which the conditional presets took up at width 16 (benchmarks/presets.py)
CPU_SIZED: dict[str, Any] = {
    "model.name": "dcgan",
    "model.prior": "normal",
    "train.batch_size": 64,
    "train.g_reuse_fakes": True,
    "train.ema": 0.999,
    "train.ema_rampup": 0.05,
    "optim.name": "adam",
    # speed switches that change the rounding, not the algorithm: NHWC convolutions (1.17x on the fast step) and
    # bf16 forward passes on a CPU with bf16 in hardware (1.25x; both 1.43x; docs/benchmarks.md)
    "train.channels_last": True,
    "train.precision": "auto",
}

# what the three video presets share: one multi-scale G (and D) and its optimiser, trained three ways
VIDEO_G: dict[str, Any] = {
    "task.name": "video",
    "model.name": "multiscale",
    "model.width": 32,
    "model.d_norm": "none",
    "data.name": "moving-mnist",
    "train.batch_size": 16,
    "optim.name": "adam",
    "optim.lr_g": 1e-3,
    "optim.lr_d": 2e-4,
    "optim.betas": [0.5, 0.999],
}

# what the two StackGAN presets share (ganforge.tasks.text2image, docs/applications.md)
STACKGAN: dict[str, Any] = {
    "task.name": "text2image",
    "model.name": "stackgan",
    "model.width": 32,
    "model.z_dim": 32,
    "model.d_norm": "batch",
    "data.name": "captioned-fashion",
    "train.loss": "non-saturating",
    "train.batch_size": 64,
    "task.kl_weight": 0.1,  # the paper: 1, which drowns the text in CA's noise at this scale (docs/applications.md)
    "task.class_weight": 1.0,  # D's class head (TAC-GAN): class accuracy 0.35 -> 0.73 at 6,000 steps (same doc)
    "optim.name": "adam",
    "optim.lr_g": 2e-3,
    "optim.lr_d": 2e-3,
    "optim.betas": [0.5, 0.999],
}

PRESETS: dict[str, Preset] = {
    "gan": Preset(
        "Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville and Bengio (2014), "
        "Generative Adversarial Nets",
        "the original game with fully connected networks and G's non-saturating loss",
        {"model.name": "mlp", "train.loss": "non-saturating", "train.d_steps": 1},
    ),
    "gan-2014": Preset(
        "Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville and Bengio (2014), "
        "Generative Adversarial Nets",
        "the paper's MNIST networks from its released code: a ReLU G (1200, 1200) with a sigmoid output, a maxout "
        "D (240 x 5, 240 x 5) with dropout; SGD at 0.1 with momentum 0.5, batch 100, Gaussian z (100)",
        {
            "model.name": "maxout",
            "model.z_dim": 100,
            "model.prior": "normal",
            "train.loss": "non-saturating",
            "train.d_steps": 1,
            "train.batch_size": 100,
            "optim.name": "sgd",
            "optim.lr_g": 0.1,
            "optim.lr_d": 0.1,
            "optim.momentum": 0.5,
        },
    ),
    "fast": Preset(
        "Radford, Metz and Chintala (2016), Unsupervised Representation Learning with Deep Convolutional "
        "Generative Adversarial Networks; sized for two CPU cores (benchmarks/quality_per_second.py)",
        "the default on image data: DCGAN's layout at half its width (32-64 feature maps at 28 px), "
        "Adam at 2e-3 with beta1 = 0.5, batch 64, G's update on D's fakes, G_ema (0.999, ramped up) for "
        "sampling, lazy R1 (gamma 0.1 on every 16th D update), NHWC convolutions and bf16 forward passes on a "
        "CPU with bf16 in hardware; 4,000 steps, about 2 minutes on two CPU cores",
        {
            **CPU_SIZED,
            "model.width": 32,
            "model.z_dim": 100,
            "train.loss": "non-saturating",
            "train.d_steps": 1,
            "train.steps": 4000,
            # lazy R1 (StyleGAN2's interval, our gamma): on the 4,000-digit MNIST subset D memorises the data;
            # with R1 the default run's FID fell from 103-120 to 75-78, in as much time (docs/models.md)
            "train.r1_gamma": 0.1,
            "train.r1_every": 16,
            "optim.lr_g": 2e-3,
            "optim.lr_d": 2e-3,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "ring": Preset(
        "Lin, Khetan, Fanti and Oh (2018), PacGAN: The Power of Two Samples in Generative Adversarial Networks "
        "(the 8-Gaussian ring and its protocol); settings chosen with benchmarks/mixtures.py",
        "the default on the ring: a two-hidden-layer MLP (128, 128) with a 2-d latent, the original GAN's "
        "non-saturating loss, Adam at 1e-3 with beta1 = 0.5 falling linearly to 0 over the second half, G_ema (0.999) "
        "for sampling, 40,000 steps",
        {
            "data.name": "ring",
            "model.name": "mlp",
            "model.z_dim": 2,
            "model.g_hidden": [128, 128],
            "model.d_hidden": [128, 128],
            "train.loss": "non-saturating",
            "train.steps": 40000,
            "train.batch_size": 128,
            "train.ema": 0.999,
            "optim.name": "adam",
            "optim.lr_g": 1e-3,
            "optim.lr_d": 1e-3,
            "optim.betas": [0.5, 0.999],
            "optim.lr_decay": 0.5,
        },
    ),
    "grid": Preset(
        "Lin, Khetan, Fanti and Oh (2018), PacGAN: The Power of Two Samples in Generative Adversarial Networks "
        "(the 25-Gaussian grid and its protocol); settings chosen with benchmarks/mixtures.py",
        "the default on the grid: a two-hidden-layer MLP (256, 256) with a 2-d latent, the relativistic pairing "
        "loss with R1 (gamma 0.1), Adam at 1e-3 with beta1 = 0.5 falling linearly to 0 over the last three "
        "quarters, G_ema (0.999) for sampling, 40,000 steps",
        {
            "data.name": "grid",
            "model.name": "mlp",
            "model.z_dim": 2,
            "model.g_hidden": [256, 256],
            "model.d_hidden": [256, 256],
            "train.loss": "rpgan",
            "train.r1_gamma": 0.1,
            "train.steps": 40000,
            "train.batch_size": 128,
            "train.ema": 0.999,
            "optim.name": "adam",
            "optim.lr_g": 1e-3,
            "optim.lr_d": 1e-3,
            "optim.betas": [0.5, 0.999],
            "optim.lr_decay": 0.75,
        },
    ),
    "dcgan": Preset(
        "Radford, Metz and Chintala (2016), Unsupervised Representation Learning with Deep Convolutional "
        "Generative Adversarial Networks",
        "all-convolutional G and D with batch norm; Adam at 2e-4 with beta1 = 0.5, batch 128, uniform z",
        {
            "model.name": "dcgan",
            "model.z_dim": 100,
            "model.prior": "uniform",
            "train.loss": "non-saturating",
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
            "train.batch_size": 128,
            "train.d_steps": 1,
        },
    ),
    "wgan": Preset(
        "Arjovsky, Chintala and Bottou (2017), Wasserstein GAN",
        "a critic estimating the Wasserstein-1 distance, kept Lipschitz by clipping its weights to [-0.01, 0.01]",
        {
            "model.name": "dcgan",
            "train.loss": "wgan",
            "train.weight_clip": 0.01,
            "train.d_steps": 5,
            "train.batch_size": 64,
            "optim.name": "rmsprop",
            "optim.lr_g": 5e-5,
            "optim.lr_d": 5e-5,
        },
    ),
    "wgan-gp": Preset(
        "Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville (2017), Improved Training of Wasserstein GANs",
        "the Wasserstein critic with a gradient penalty (lambda = 10) instead of clipping, and no batch norm in D",
        {
            "model.name": "dcgan",
            "model.d_norm": "none",
            "train.loss": "wgan-gp",
            "train.gp_lambda": 10.0,
            "train.d_steps": 5,
            "train.batch_size": 64,
            "optim.name": "adam",
            "optim.lr_g": 1e-4,
            "optim.lr_d": 1e-4,
            "optim.betas": [0.0, 0.9],
        },
    ),
    "sngan": Preset(
        "Miyato, Kataoka, Koyama and Yoshida (2018), Spectral Normalization for Generative Adversarial Networks",
        "spectral norm on every layer of D and the hinge loss; Adam at 2e-4 with betas (0, 0.9), one D step",
        {
            "model.name": "dcgan",
            "model.d_norm": "spectral",
            "train.loss": "hinge",
            "train.d_steps": 1,
            "train.batch_size": 64,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.0, 0.9],
        },
    ),
    "lsgan": Preset(
        "Mao, Li, Xie, Lau, Wang and Smolley (2017), Least Squares Generative Adversarial Networks",
        "least-squares losses on D's raw output (0-1 coding); Adam at 2e-4 with beta1 = 0.5",
        {
            "model.name": "dcgan",
            "train.loss": "lsgan",
            "train.d_steps": 1,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "cgan": Preset(
        "Mirza and Osindero (2014), Conditional Generative Adversarial Nets; sized for two CPU cores "
        "(benchmarks/presets.py)",
        "G(z, y) and D(x, y) with the one-hot label joined to their inputs (K label maps beside D's image "
        "channels), as in the paper; sized for a CPU: DCGAN networks at width 16 where the paper used MLPs "
        "(--model mlp), Adam at 2e-3 with beta1 = 0.5, batch 64, Gaussian z (100), G's update on D's fakes, G_ema "
        "(0.999) for sampling, 3,000 steps (the paper: uniform z, batch 100, SGD with a decaying rate, dropout)",
        {
            **CPU_SIZED,
            "model.width": 16,
            "model.condition": "concat",
            "model.z_dim": 100,
            "train.loss": "non-saturating",
            "train.steps": 3000,  # at 2,000 seed 0 read 79.5% of Fashion-MNIST's classes right, at 3,000 82.2%
            "optim.lr_g": 2e-3,
            "optim.lr_d": 2e-3,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "projection": Preset(
        "Miyato and Koyama (2018), cGANs with Projection Discriminator; sized for two CPU cores "
        "(benchmarks/presets.py)",
        "D(x, y) = psi(phi(x)) + <embed(y), phi(x)> with spectral norm in D and the hinge loss, Adam with betas "
        "(0, 0.9) as in the paper; sized for a CPU: DCGAN networks at width 16, one D step, Adam at 1e-3, batch 64, "
        "G's update on D's fakes, G_ema (0.999) for sampling (the paper: ResNets, 5 D steps at 2e-4)",
        {
            **CPU_SIZED,
            "model.width": 16,
            "model.condition": "projection",
            "model.d_norm": "spectral",
            "train.loss": "hinge",
            "train.d_steps": 1,
            "optim.lr_g": 1e-3,
            "optim.lr_d": 1e-3,
            "optim.betas": [0.0, 0.9],
        },
    ),
    "acgan": Preset(
        "Odena, Olah and Shlens (2017), Conditional Image Synthesis with Auxiliary Classifier GANs; sized for two "
        "CPU cores (benchmarks/presets.py)",
        "D classifies as well as judges, and both players add the class log-likelihood (weight 1), as in the paper; "
        "sized for a CPU: DCGAN networks at width 16, Adam at 2e-3 with beta1 = 0.5, batch 64, G's update on D's "
        "fakes, G_ema (0.999) for sampling (the paper's appendix: Adam at 2e-4, batch 100, full-width networks)",
        {
            **CPU_SIZED,
            "model.width": 16,
            "model.condition": "acgan",
            "train.loss": "non-saturating",
            "optim.lr_g": 2e-3,
            "optim.lr_d": 2e-3,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "infogan": Preset(
        "Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel (2016), InfoGAN: Interpretable Representation "
        "Learning by Information Maximizing Generative Adversarial Nets",
        "z (62, uniform) plus a 10-way categorical and 2 continuous U[-1, 1] codes; Q shares D's body; the mutual "
        "information bound with lambda 1 (categorical) and 0.1 (continuous); Adam 2e-4 for D, 1e-3 for G (MNIST)",
        {
            "model.name": "dcgan",
            "model.z_dim": 62,
            "model.prior": "uniform",
            "model.info_categorical": 10,
            "model.info_continuous": 2,
            "train.loss": "non-saturating",
            "train.info_lambda": 1.0,
            "train.info_lambda_continuous": 0.1,
            "optim.name": "adam",
            "optim.lr_g": 1e-3,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    # -- image-to-image tasks (ganforge.tasks, docs/applications.md): steps, batch size and widths are scaled
    # down so each trains in minutes on a CPU; the losses' weights and the optimisers are the papers'.
    "pix2pix": Preset(
        "Isola, Zhu, Zhou and Efros (2017), Image-to-Image Translation with Conditional Adversarial Networks",
        "paired translation: U-Net G, conditional PatchGAN D, adversarial + 100 L1; Adam 2e-4, beta1 = 0.5 "
        "(batch 32 here; the paper used 1 to 10)",
        {
            "task.name": "pix2pix",
            "model.name": "unet",
            "model.width": 32,
            "model.d_norm": "batch",
            "data.name": "edges2fashion",
            "train.loss": "non-saturating",
            "task.l1_weight": 100.0,
            "train.batch_size": 32,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "cyclegan": Preset(
        "Zhu, Park, Isola and Efros (2017), Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks",
        "unpaired translation: two ResNet generators, two PatchGAN Ds, least squares, cycle 10 + identity 5; "
        "Adam 2e-4, beta1 = 0.5 (batch 32 here; the paper used 1)",
        {
            "task.name": "cyclegan",
            "model.name": "resnet",
            "model.width": 16,
            "model.d_norm": "instance",
            "data.name": "mnist2thick",
            "train.loss": "lsgan",
            "task.cycle_weight": 10.0,
            "task.identity_weight": 5.0,
            "train.batch_size": 32,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "discogan": Preset(
        "Kim, Cha, Kim, Lee and Kim (2017), Learning to Discover Cross-Domain Relations with Generative "
        "Adversarial Networks",
        "the cyclegan task as DiscoGAN plays it: cross-entropy GAN losses, reconstruction weight 1, no identity "
        "term, batch norm; Adam 2e-4, beta1 = 0.5 (L1 reconstruction here where the paper used L2)",
        {
            "task.name": "cyclegan",
            "model.name": "resnet",
            "model.width": 16,
            "model.d_norm": "batch",
            "data.name": "mnist2thick",
            "train.loss": "non-saturating",
            "task.cycle_weight": 1.0,
            "task.identity_weight": 0.0,
            "train.batch_size": 32,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "srgan": Preset(
        "Ledig, Theis, Huszar, Caballero, Cunningham, Acosta, Aitken, Tejani, Totz, Wang and Shi (2017), "
        "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network",
        "x4 super-resolution: SRResNet G, content loss (pixel MSE + domain-classifier features) + 1e-3 "
        "adversarial; Adam 1e-4, beta1 = 0.9 (4 residual blocks here; the paper used 16)",
        {
            "task.name": "srgan",
            "model.name": "srresnet",
            "model.width": 32,
            "model.d_norm": "batch",
            "data.name": "fashion-mnist",
            "train.loss": "non-saturating",
            "task.scale": 4,
            "task.adversarial_weight": 0.001,
            "task.feature_weight": 0.01,
            "train.batch_size": 32,
            "optim.name": "adam",
            "optim.lr_g": 1e-4,
            "optim.lr_d": 1e-4,
            "optim.betas": [0.9, 0.999],
        },
    ),
    "inpaint": Preset(
        "Pathak, Krahenbuhl, Donahue, Darrell and Efros (2016), Context Encoders: Feature Learning by Inpainting",
        "inpainting a centre hole half the image's side: encoder-decoder G (with U-Net skips here), 0.999 "
        "reconstruction + 0.001 adversarial; Adam 2e-4, beta1 = 0.5",
        {
            "task.name": "inpaint",
            "model.name": "context-encoder",
            "model.width": 32,
            "model.d_norm": "batch",
            "data.name": "fashion-mnist",
            "train.loss": "non-saturating",
            "task.mask": "center",
            "task.hole": 0.5,
            "task.rec_weight": 0.999,
            "task.adversarial_weight": 0.001,
            "train.batch_size": 64,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "ttur": Preset(
        "Heusel, Ramsauer, Unterthiner, Nessler and Hochreiter (2017), GANs Trained by a Two Time-Scale Update "
        "Rule Converge to a Local Nash Equilibrium",
        "two time scales: D learns faster than G (Adam at 3e-4 for D, 1e-4 for G, beta1 = 0.5), one D step",
        {
            "model.name": "dcgan",
            "train.loss": "non-saturating",
            "train.d_steps": 1,
            "optim.name": "adam",
            "optim.lr_g": 1e-4,
            "optim.lr_d": 3e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "rpgan": Preset(
        "Jolicoeur-Martineau (2019), The Relativistic Discriminator: a Key Element Missing from Standard GAN; "
        "with R1 as Huang, Gokaslan, Kuleshov and Tompkin (2024), The GAN is dead; long live the GAN!, train it",
        "the relativistic pairing loss (D scores each real sample against a generated one) with the R1 penalty "
        "(gamma 0.1, chosen for 28 x 28 images), no batch norm in D; R3GAN's R2 penalty and networks are not "
        "reproduced",
        {
            "model.name": "dcgan",
            "model.d_norm": "none",
            "train.loss": "rpgan",
            "train.r1_gamma": 0.1,
            "train.d_steps": 1,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.5, 0.999],
        },
    ),
    "r3gan": Preset(
        "Huang, Gokaslan, Kuleshov and Tompkin (2024), The GAN is dead; long live the GAN! A Modern GAN Baseline",
        "the relativistic pairing loss with both zero-centred penalties, R1 on real and R2 on generated data "
        "(gamma 0.05, the paper's CIFAR-10 value), and a normalisation-free ResNet G and D (inverted bottlenecks, "
        "grouped convolutions, fix-up initialisation) at width 16 with one block a stage; Adam 2e-4 with betas "
        "(0, 0.99), batch 64, G_ema 0.999 (the paper's schedules for lr, gamma, beta2 and EMA are held constant)",
        {
            "model.name": "r3gan",
            "model.width": 16,
            "model.z_dim": 64,
            "model.prior": "normal",
            "train.loss": "rpgan",
            "train.r1_gamma": 0.05,
            "train.r2_gamma": 0.05,
            "train.d_steps": 1,
            "train.batch_size": 64,
            "train.ema": 0.999,
            "optim.name": "adam",
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.betas": [0.0, 0.99],
        },
    ),
    "stackgan-stage1": Preset(
        "Zhang, Xu, Li, Zhang, Wang, Huang and Metaxas (2017), StackGAN: Text to Photo-realistic Image Synthesis",
        "text to image, stage I alone at 32 px on captioned Fashion-MNIST: a frozen char-CNN caption encoder, "
        "conditioning augmentation, a matching-aware D (Reed et al. 2016); batch 64 as in the paper, but Adam "
        "at 2e-3 (the paper: 2e-4), as the presets sized for two CPU cores train, CA's KL weight 0.1 (the "
        "paper: 1), and a class head on D (TAC-GAN, Dash et al. 2017); docs/applications.md measures both rates, "
        "both weights and the head",
        {**STACKGAN, "data.image_size": 32, "train.steps": 6000},
    ),
    "stackgan": Preset(
        "Zhang, Xu, Li, Zhang, Wang, Huang and Metaxas (2017), StackGAN: Text to Photo-realistic Image Synthesis",
        "text to image in two stages at 64 px on captioned Fashion-MNIST: stage I (32 px) for the first half of "
        "the steps, then stage II (residual blocks on stage I's picture and the text again, 64 px) with stage I "
        "held fixed; the rest as stackgan-stage1",
        {**STACKGAN, "data.image_size": 64, "train.steps": 4000},
    ),
    # -- video frame prediction (ganforge.tasks.video, docs/applications.md): one G trained three ways
    "video-gan": Preset(
        "Mathieu, Couprie and LeCun (2016), Deep multi-scale video prediction beyond mean square error",
        "next frames from the last ones: multi-scale G, multi-scale D on context + future, adversarial 0.05 + "
        "L2 1 + gradient difference 1 (their Adv+GDL weights); Adam (the paper: SGD), width 32, batch 16",
        {
            **VIDEO_G,
            "train.loss": "non-saturating",
            "task.adversarial_weight": 0.05,
            "task.l2_weight": 1.0,
            "task.gdl_weight": 1.0,
        },
    ),
    "video-l2": Preset(
        "Mathieu, Couprie and LeCun (2016), Deep multi-scale video prediction beyond mean square error",
        "the video-gan G trained with L2 alone (their L2 baseline): no adversary, no gradient difference",
        {
            **VIDEO_G,
            "task.adversarial_weight": 0.0,
            "task.l2_weight": 1.0,
            "task.gdl_weight": 0.0,
        },
    ),
    "video-gdl": Preset(
        "Mathieu, Couprie and LeCun (2016), Deep multi-scale video prediction beyond mean square error",
        "the video-gan G trained with L2 + gradient difference and no adversary (their GDL baseline)",
        {
            **VIDEO_G,
            "task.adversarial_weight": 0.0,
            "task.l2_weight": 1.0,
            "task.gdl_weight": 1.0,
        },
    ),
}


def apply(cfg: Config, name: str, network_from: str | None = None) -> Config:
    """A copy of ``cfg`` with preset ``name`` under every key the user did not set explicitly (see the module
    docstring for the rule); ``cfg.preset`` becomes ``name``. Raises ``GanforgeError`` for an unknown name.

    ``network_from`` names another preset whose ``model.*`` keys replace this one's: resolution passes the
    dataset's preset when this preset's network cannot take the dataset's kind of data (a preset's network
    is a default, like every other key it sets).
    """
    check_choice("preset", "--preset", name, PRESETS)
    overrides = dict(PRESETS[name].overrides)
    if network_from is not None:
        overrides = {key: value for key, value in overrides.items() if not key.startswith("model.")}
        overrides.update({k: v for k, v in PRESETS[network_from].overrides.items() if k.startswith("model.")})
    explicit = set(cfg.explicit)
    defaults = Config()
    fill = {
        key: value
        for key, value in overrides.items()
        if key not in explicit and _value(cfg, key) == _value(defaults, key)
    }
    applied = apply_overrides(cfg, fill, source=f"preset '{name}'")
    applied.explicit = explicit  # the preset's values are not the user's choices
    applied.preset = name
    return applied


def describe(name: str) -> str:
    """Several lines: the preset, its paper, and the settings it applies."""
    preset = PRESETS[name]
    settings = ", ".join(f"{key}={_show(value)}" for key, value in preset.overrides.items())
    return f"{name}: {preset.description}\n  {preset.citation}\n  {settings}"


def _value(cfg: Config, dotted: str) -> Any:
    section, _, key = dotted.partition(".")
    return getattr(getattr(cfg, section), key) if key else getattr(cfg, section)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_show(item) for item in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["PRESETS", "Preset", "apply", "describe"]
