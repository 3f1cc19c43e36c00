"""leaf: Bodyanskiy, Kostiuk, "Learnable Extended Activation Function for Deep Neural Networks" (IJC 2023)."""
