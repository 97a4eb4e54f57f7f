"""Neural networks: colorizer, refiner, upscaler, and the registry that names them."""
