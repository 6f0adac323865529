"""Developer tools: the training of the detection model, the generator of its training
events, and the generator of the sample footage (samples/). Not part of the installed
package: clipkit never imports them."""
