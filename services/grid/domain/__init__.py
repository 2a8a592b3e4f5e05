"""Grid's domain: tier nodes and the rules of the tree. Pure: no I/O."""
