-- ae.help(): the main calls on one screen, for the REPL.
return function()
  print([[
aelab — autoencoders in Lua on a C core.
  x = ae.randn(4, 3)                      tensors: zeros, rand, randn, tensor{...}, load_npy
  train, test = ae.data.fashion_mnist()   also ae.data.mnist(), ae.data.letters()
  net = ae.Autoencoder{ encoder = {ae.Dense(784, 32), ae.ReLU()},
                        decoder = {ae.Dense(32, 784), ae.Sigmoid()} }
  print(net)                              a summary of layers and parameters
  h = net:fit(train.x, {epochs = 2, batch = 256, loss = "bce",
                        optimizer = ae.optim.Adam{lr = 1e-3}, validation = test.x})
  optimizers: ae.optim.SGD, Adam, RMSprop, Adadelta (batches); LBFGS, CG, Powell (whole set,
    epochs = iterations, h.why says why they stopped). Powell uses no gradient: ~10 evaluations
    per parameter per iteration (3,000 parameters × 150 iterations = 4.5 million)
  z = net:encode(test.x); r = net:reconstruct(test.x)
  net:loss(test.x)                        the loss on data (net:evaluate() and net:training() set the mode)
  W, dW = layer:parameters()              weights as views; layer:set_parameters{W, b} (PyTorch's layouts)
  print(net:profile())                    where the training time went, per layer
  clf = ae.Sequential{ net:encoder(), ae.Dense(32, 10) }   a classifier on the encoder (shared;
                                          net:encoder{copy = true} for a copy); clf:freeze(1, 2) keeps layers fixed
                                          (in fit and clf:step, not opt:update; saved with the model)
  clf:fit(train.x, {target = train.y, loss = "cross_entropy", validation = {x = test.x, target = test.y}})
                                          labels are 0-based classes, as ae.data's y (logits out, no Softmax needed)
  ae.metrics.accuracy(clf:predict(test.x), test.y); ae.metrics.confusion(pred, test.y)
  encoders = ae.pretrain.stack(train.x, {sizes = {784, 256, 64}, epochs = 5})   greedy layer-wise pretraining
  r = ae.data.balanced(train.y, 100, 1)   100 labelled rows, 10 of each class (x:rows(r), y:rows(r))
  ae.plot.history(h)                      figures (to the terminal here, or {out = "f.png"})
Lessons: ./aelab lessons/01_undercomplete.lua   (writes to out/01_undercomplete/)]])
end
