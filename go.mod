module github.com/ocellus/ocellus

go 1.26
