"""Training and evaluation modes, for layers that behave differently in each (Dropout, BatchNorm1d)."""


class TrainEval:
    """`training` is True after train() and False after eval(); both return the layer.
    A layer sets `self.training = True` in its constructor (training is the default)."""

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self
