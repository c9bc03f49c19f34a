namespace ngm {}
