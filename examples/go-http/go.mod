module unikit.example/go-http

go 1.19
