"""Built-in worlds (``<name>.json``) and the code that validates and seeds them."""
