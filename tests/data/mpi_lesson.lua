-- For tests/test_mpi.lua: a lesson under mpirun: fit is distributed by itself,
-- only rank 0 speaks and writes (the other ranks write into a scratch folder
-- that finish removes).
local ae = require "aelab"
local L = ae.Lesson.new { name = "mpi_lesson", title = "MPI lesson" }
L:say("hello from the lesson")
ae.seed(3)
local x = ae.rand(200, 10)
local net = ae.Autoencoder { encoder = { ae.Dense(10, 4), ae.Tanh() }, decoder = { ae.Dense(4, 10), ae.Sigmoid() } }
local h = net:fit(x, { epochs = 2, batch = 20, loss = "bce", optimizer = ae.optim.Adam { lr = 1e-2 } })
L:metric("ranks", h.ranks or 1, "ranks that trained")
L:metric("loss", h.loss[2], "loss")
L:figure("loss.png", "loss", ae.plot.history(h, { out = L:path("loss.png") }))
L:save_model(net, "m")
L:finish()
