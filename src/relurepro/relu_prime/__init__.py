"""relu_prime: Bertoin et al., "Which derivative for ReLU at 0? The role of numerical precision" (NeurIPS 2021).
Pages: docs/relu_prime.md."""
