"""Developer tools: the training of the detection model and the generator of its
training events. Not part of the installed package."""
