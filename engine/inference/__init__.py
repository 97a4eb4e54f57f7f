"""Running the models on frames: `sampling` (the PixelCNN's colour modes), `colorize` (a
key frame to K candidates), `refine` (a pick to full-resolution chroma), `upscale` (tiled
luma restoration and enlargement), `device` (the one place a device and the thread
count are chosen).
"""
