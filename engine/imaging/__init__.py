"""Picture maths without models: `color` (YCbCr matrices and ranges, the one chroma
encoding and its 32 bins), `guided` (the luma-guided filter and chroma enlargement),
`degrade` (the degradations training and evaluation share, and re-grain), `metrics`
(PSNR, SSIM, CIEDE2000, colourfulness) and `sheets` (contact sheets).
"""
