package cimxml
