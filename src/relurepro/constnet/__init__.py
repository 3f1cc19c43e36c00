"""constnet: Blumenfeld, Gilboa, Soudry, "Beyond Signal Propagation: Is Feature Diversity Necessary in Deep Neural
Network Initialization?" (ICML 2020). ConstNet, LeakyNet, symmetry breaking and weight correlations."""
