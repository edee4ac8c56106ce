"""The quantum volume protocol: heavy outputs, statistics and the width scan."""
