"""Measuring models against colour originals (`panchro eval ...`): `colorizer` (NLL, best
and mean of K, CIEDE2000, diversity), `video` (a colorized clip against its colour
original, frame to frame flicker), `upscaler` (Y PSNR/SSIM on Set5/Set14 and a realistic set).
"""
