from django.http import HttpResponse


def search(request):
    return HttpResponse("people")


def me(request):
    return HttpResponse("me")
