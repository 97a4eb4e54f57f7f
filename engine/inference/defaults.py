"""How colour modes are drawn unless a caller says otherwise: plain numbers, importable without
torch (the CLI shows them in its help).

Measured with `panchro eval colorizer` on 200 held-out pictures, K = 8 (the model card,
resources/models/MODEL_CARD.md): plain sampling (top-p 1, no despeckle) gives best-of-8
+0.23 dB over grey and mean-of-8 -2.89 dB, with saturated specks; top-p 0.97 and one despeckle
pass give +1.07 and -1.92 dB and keep colourfulness (0.72 of the originals') and variety
(pairwise SSIM 0.94) within the goals; top-p 0.9 gives +1.71 and -1.13 dB but washes the
colours out (0.48) and makes the modes alike (0.96). (Those figures are of the 1,000-step
weights; the shipped ones, trained on on an H200, give +1.90 and -1.46 dB with the same
settings, colourfulness 0.73, SSIM 0.95.)
"""

# The candidates: drawn at TEMPERATURE, OVERSAMPLE times over, and the K that differ most
# shown (`sampling.diverse_subset`: the consensus of all drawn first). Measured in session 13
# on the same 193 held-out pictures, K = 8, seed 0, despeckled once (grey 25.94 dB, CIEDE2000
# 11.31): T 1 drawn once (the default before) best-of-8 27.84 dB, mean 24.48, best CIEDE2000
# 9.50, colourfulness 0.73, SSIM of the 8 0.952; T 0.9 drawn twice over 28.17, 24.28, 9.13,
# 0.76, 0.949: four of the model card's five colour goals met where two were. At T 1 the
# oversampling alone bought colour and variety (0.91, 0.934) but not accuracy (27.75 dB);
# at T 0.9 drawn once, accuracy (28.03 dB) but grey, alike modes (0.59, 0.963).
TEMPERATURE = 0.9
TOP_P = 0.97  # nucleus sampling: the rare, saturated bins that make specks are not drawn
DESPECKLE = 1  # passes of luma-guided smoothing of the drawn 28 x 28 chroma

OVERSAMPLE = 2

# A shot nobody picked gets the consensus of AUTO_K candidates drawn once at AUTO_TEMPERATURE
# with the top-p and despeckle above: the one nearest the others (`sampling.consensus_index`).
# Measured on the same 200 (session 12): 25.82 dB chroma PSNR, CIEDE2000 11.88, colourfulness
# 0.45 of the originals', where one sample at temperature 0.8 with top-p 0.9 (the automatic
# pick before) gave 25.39 dB, 12.67 and 0.38, and the likeliest of 8 26.00 dB, 11.65 but 0.30:
# typical colour, not the safest grey.
AUTO_K = 8
AUTO_TEMPERATURE = 1.0
AUTO_TOP_P = TOP_P

__all__ = [
    "AUTO_K",
    "AUTO_TEMPERATURE",
    "AUTO_TOP_P",
    "DESPECKLE",
    "OVERSAMPLE",
    "TEMPERATURE",
    "TOP_P",
]
