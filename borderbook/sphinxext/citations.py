"""The citation style ``borderbook`` (:mod:`borderbook.citations`), registered with pybtex."""


def setup(app):
    from pybtex.plugin import register_plugin

    from borderbook.citations import Style

    register_plugin("pybtex.style.formatting", "borderbook", Style)
    # sphinxcontrib-bibtex looks this backend up once per {cite}; found among the entry points
    # it costs ~10 ms each (seconds for the register of numbers), registered here it is free.
    from pybtex.backends.plaintext import Backend

    register_plugin("pybtex.backends", "plaintext", Backend, force=True)
